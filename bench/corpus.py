"""Generate a corpus of documents citing farm URLs, and its truth file.

A `CorpusSpec` says how many documents, distinct URLs, virtual hosts and
citations to make, which share of the URLs is broken (404, and a part of
those 500) or moved (301 to a 200), the document format (Markdown or HTML)
and the farm port the URLs point at. URLs are IP literals on the farm's
hosts (`http://127.0.0.7:8937/ok/123`) so no checker needs DNS.

Every distinct URL is cited at least once; citations are spread over the
documents at random (seeded, so a spec always yields the same corpus).
`truth.json` beside the documents holds the spec and the expected counts:
distinct URLs, citations, documents, ok, broken (of which server_error), moved,
and the citations of broken and of moved URLs (lychee counts per citation).

Run: `python -m bench.corpus --out DIR --docs 500 --urls 5000 --hosts 100 --citations 15000`.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import random
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.farm import DEFAULT_PORT, WORDS, host_address

TRUTH = "truth.json"
GENERATOR = 2  # bump when the same spec would give other documents


@dataclass(frozen=True, slots=True)
class CorpusSpec:
    """What to generate. Shares are fractions of the distinct URLs."""

    docs: int
    urls: int
    hosts: int
    citations: int
    fmt: str = "md"  # "md" or "html"
    broken: float = 0.1
    moved: float = 0.1
    server_error: float = 0.2  # the part of the broken URLs answered 500 instead of 404
    doc_bytes: int = 0  # pad each document with prose to about this size
    port: int = DEFAULT_PORT
    seed: int = 1

    def __post_init__(self) -> None:
        if self.fmt not in ("md", "html"):
            raise ValueError(f"unknown format {self.fmt!r}")
        if not 0 < self.hosts <= self.urls <= self.citations or self.docs < 1:
            raise ValueError("need 1 <= docs and 0 < hosts <= urls <= citations")
        if self.broken + self.moved > 1:
            raise ValueError("broken + moved shares exceed 1")

    def scaled(self, factor: int) -> CorpusSpec:
        """The same corpus about `factor` times smaller (documents keep their size)."""
        urls = max(1, self.urls // factor)
        return dataclasses.replace(
            self,
            docs=max(1, self.docs // factor),
            urls=urls,
            hosts=min(urls, max(1, self.hosts // 4)),
            citations=max(urls, self.citations // factor),
        )

    def key(self) -> str:
        """A short digest naming this spec's corpus directory (and the generator's version)."""
        text = json.dumps({**dataclasses.asdict(self), "generator": GENERATOR}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def url_kinds(spec: CorpusSpec) -> list[str]:
    """The farm path kind of each distinct URL: ok, 404, 500 or moved (seeded shuffle)."""
    broken = round(spec.urls * spec.broken)
    errors = round(broken * spec.server_error)
    moved = round(spec.urls * spec.moved)
    kinds = ["404"] * (broken - errors) + ["500"] * errors + ["moved"] * moved
    kinds += ["ok"] * (spec.urls - len(kinds))
    random.Random(spec.seed).shuffle(kinds)
    return kinds


#: The path of every URL the corpus cites (redirect targets and probes are not cited).
CITED_PATH = re.compile(r"/(?:ok|404|500|moved)/[0-9]+")


def urls(spec: CorpusSpec) -> list[str]:
    """The distinct URLs; URL `i` lives on host `i % hosts`."""
    return [
        f"http://{host_address(i % spec.hosts)}:{spec.port}/{kind}/{i}"
        for i, kind in enumerate(url_kinds(spec))
    ]


def _citations_per_doc(spec: CorpusSpec) -> Iterator[list[int]]:
    """For each document, the indexes of the URLs it cites."""
    rng = random.Random(spec.seed + 1)
    order = [i % spec.urls for i in range(spec.citations)]  # every URL at least once
    rng.shuffle(order)
    per_doc, extra = divmod(spec.citations, spec.docs)
    start = 0
    for doc in range(spec.docs):
        end = start + per_doc + (1 if doc < extra else 0)
        yield order[start:end]
        start = end


def _prose(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS, k=words))


def _markdown(rng: random.Random, doc: int, cited: list[str], pad: int) -> str:
    lines = [f"# Document {doc}", ""]
    for n, url in enumerate(cited):
        lines.append(f"{_prose(rng, 8)} [source {n}]({url}) {_prose(rng, 4)}.")
        if n % 5 == 4:
            lines.append("")
    return _padded(lines, rng, pad, lambda text: text)


def _html(rng: random.Random, doc: int, cited: list[str], pad: int) -> str:
    lines = [f"<!doctype html><html><head><title>Document {doc}</title></head><body>"]
    lines.append(f"<h1>Document {doc}</h1>")
    for n, url in enumerate(cited):
        lines.append(f'<p>{_prose(rng, 8)} <a href="{url}">source {n}</a> {_prose(rng, 4)}.</p>')
    body = _padded(lines, rng, pad, lambda text: f"<p>{text}</p>")
    return body + "</body></html>\n"


def _padded(lines: list[str], rng: random.Random, size: int, wrap: Callable[[str], str]) -> str:
    """Join `lines`, spreading prose paragraphs between them until about `size` characters."""
    text = "\n".join(lines) + "\n"
    missing = size - len(text)
    padding: list[str] = []
    while missing > 0:
        padding.append(wrap(_prose(rng, 100)))
        missing -= len(padding[-1]) + 1
    if not padding:
        return text
    step = max(1, len(lines) // len(padding))
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        if i % step == 0 and padding:
            out.append(padding.pop())
    out.extend(padding)
    return "\n".join(out) + "\n"


def truth(spec: CorpusSpec) -> dict[str, Any]:
    """The expected counts for `spec` (also written to truth.json)."""
    kinds = url_kinds(spec)
    broken = kinds.count("404") + kinds.count("500")
    per_url, extra = divmod(spec.citations, spec.urls)  # URL i is cited per_url (+1 if i < extra)

    def cited(wanted: tuple[str, ...]) -> int:
        return sum(per_url + (i < extra) for i, kind in enumerate(kinds) if kind in wanted)

    return {
        "spec": dataclasses.asdict(spec),
        "documents": spec.docs,
        "urls": spec.urls,
        "citations": spec.citations,
        "hosts": spec.hosts,
        "ok": kinds.count("ok"),
        "broken": broken,
        "server_error": kinds.count("500"),
        "moved": kinds.count("moved"),
        "broken_citations": cited(("404", "500")),
        "moved_citations": cited(("moved",)),
    }


def generate(spec: CorpusSpec, out: Path) -> dict[str, Any]:
    """Write the documents and truth.json into `out` (replacing it) and return the truth."""
    if out.exists():
        shutil.rmtree(out)
    docs = out / "docs"
    docs.mkdir(parents=True)
    all_urls = urls(spec)
    render = _markdown if spec.fmt == "md" else _html
    rng = random.Random(spec.seed + 2)
    for doc, indexes in enumerate(_citations_per_doc(spec)):
        text = render(rng, doc, [all_urls[i] for i in indexes], spec.doc_bytes)
        (docs / f"doc{doc:06d}.{spec.fmt}").write_text(text, encoding="utf-8")
    facts = truth(spec)
    (out / TRUTH).write_text(json.dumps(facts, indent=1) + "\n")  # last: marks it complete
    return facts


def ensure(spec: CorpusSpec, root: Path) -> tuple[Path, dict[str, Any]]:
    """The corpus for `spec` under `root`, generated unless it is already complete."""
    out = root / spec.key()
    marker = out / TRUTH
    if marker.exists():
        return out, json.loads(marker.read_text())
    return out, generate(spec, out)


def main(argv: list[str] | None = None) -> None:
    defaults = {f.name: f.default for f in dataclasses.fields(CorpusSpec)}
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="directory to (re)create")
    for name in ("docs", "urls", "hosts", "citations"):
        parser.add_argument(f"--{name}", type=int, required=True)
    for name, value in defaults.items():
        if name not in ("docs", "urls", "hosts", "citations"):
            parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = vars(parser.parse_args(argv))
    out = args.pop("out")
    facts = generate(CorpusSpec(**args), out)
    print(json.dumps({k: v for k, v in facts.items() if k != "spec"}))


if __name__ == "__main__":
    main()
