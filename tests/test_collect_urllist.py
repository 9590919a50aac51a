"""Lists of URLs: plain lists (`.urls`, `.txt` that are lists) and JSON lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import linkcheck.collect
from linkcheck.collect import Document, collect, urllist
from linkcheck.config import Config
from linkcheck.models import Citation

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
SITE = "https://www.example.org"


def _collect(path: Path, config: Config | None = None) -> tuple[list[Citation], list[str], str]:
    warnings: list[str] = []
    documents: list[Document] = []
    citations = list(
        collect(
            [str(path)], config or Config(), warn=warnings.append, on_document=documents.append
        )
    )
    (document,) = documents
    return citations, warnings, document.kind


def test_a_url_list_cites_each_line_resolved_against_the_base() -> None:
    citations, warnings, kind = _collect(FIXTURES / "cited.urls", Config(base_url=f"{SITE}/"))
    assert kind == "urls"
    assert [(c.line, c.column, c.url, c.resolved, c.text, c.cited_on) for c in citations] == [
        (2, 1, f"{SITE}/", f"{SITE}/", "", None),
        (3, 1, f"{SITE}/about", f"{SITE}/about", "the team, accessed 2021-12-16",
         dt.date(2021, 12, 16)),
        (4, 1, "www.example.org/contact", "http://www.example.org/contact", "", None),
        (7, 1, "https://old.example.org/page#section", "https://old.example.org/page#section",
         "", None),
        (8, 1, "/docs/getting-started", f"{SITE}/docs/getting-started", "", None),
        (9, 10, "https://prose.example.org/line", "https://prose.example.org/line", "See also",
         None),
    ]
    assert warnings == []


def test_json_lines_cite_each_url_field_at_its_string() -> None:
    citations, warnings, kind = _collect(FIXTURES / "links.jsonl")
    assert kind == "jsonl"
    assert [(c.line, c.column, c.url, c.text, c.cited_on) for c in citations] == [
        (1, 10, f"{SITE}/a", "Page A", dt.date(2021, 12, 16)),
        (2, 67, f"{SITE}/b", "", None),  # the top-level url, not the nested one
        (4, 10, f"{SITE}/escaped", "JSON escapes", None),
        (8, 10, f"{SITE}/é", "", dt.date(2021, 12, 16)),
    ]
    assert warnings == [f"{FIXTURES / 'links.jsonl'}: lines 5, 6, 7: not a JSON object with a url"]


@pytest.mark.parametrize(
    ("lines", "kind"),
    [
        (["https://a.example.org/", "https://b.example.org/x  # why"], "urls"),
        (["# heading", *(f"https://x.example.org/{n}" for n in range(9)), "Links:"], "urls"),
        (["https://a.example.org/"], "text"),  # a lone URL reads the same either way
        (["See https://a.example.org/ for this.", "https://b.example.org/"], "text"),
        ([*(f"https://x.example.org/{n}" for n in range(8)), "one sentence", "and two"], "text"),
    ],
)
def test_a_text_file_is_a_url_list_when_nearly_every_line_is_a_url(
    tmp_path: Path, lines: list[str], kind: str
) -> None:
    path = tmp_path / "links.txt"
    path.write_text("\n".join(lines) + "\n")
    assert _collect(path)[2] == kind


def test_a_list_line_is_read_as_prose_when_it_is_not_a_url(tmp_path: Path) -> None:
    path = tmp_path / "list.urls"
    path.write_text("Links:\nhttps://a.example.org/\nplain words and www.b.example.org too\n")
    citations, _, _ = _collect(path)
    assert [(c.line, c.column, c.url, c.resolved) for c in citations] == [
        (2, 1, "https://a.example.org/", "https://a.example.org/"),
        (3, 17, "www.b.example.org", "http://www.b.example.org"),
    ]


def test_a_large_list_streams_in_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linkcheck.collect, "STREAM_BYTES", 1000)
    path = tmp_path / "many.txt"
    path.write_text("".join(f"https://x.example.org/{n}  # entry {n}\n" for n in range(200)))
    citations, warnings, kind = _collect(path)
    assert kind == "urls"
    assert [(c.line, c.url, c.text) for c in citations][198:] == [
        (199, "https://x.example.org/198", "entry 198"),
        (200, "https://x.example.org/199", "entry 199"),
    ]
    assert warnings == []


def test_bad_json_lines_are_counted_in_one_warning(tmp_path: Path) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_text("{}\n" * 12 + '{"url": "https://ok.example.org/"}\n')
    citations, warnings, _ = _collect(path)
    assert [c.url for c in citations] == ["https://ok.example.org/"]
    assert warnings == [f"{path}: lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more: "
                        "not a JSON object with a url"]


def test_is_list_reads_only_the_first_lines() -> None:
    sample = ["https://x.example.org/"] * urllist.SAMPLE_LINES
    assert urllist.is_list("\n".join([*sample, *(["prose line"] * 5000)]))
