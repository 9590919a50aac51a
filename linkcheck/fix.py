"""`linkcheck fix`: rewrite the citations a report found moved or dead.

Checking only reports; fixing edits the user's files, so every rule here
errs on the side of leaving a citation alone (docs/fix.md). Two steps:

- `plan(report, config)` decides, from the report alone, what each citation
  should point at: a `moved` URL the location every permanent redirect led
  to, a dead one (`broken`, and by choice `soft_404`, `error`) its archived
  copy. A citation of a verdict asked for that is left alone is a `Skip`
  saying why.
- `prepare(plan, style)` reads each file as collect read it (the same
  encoding detection), checks that the URL as written is still at the line
  and column the check recorded, and splices the new text into the original
  bytes. Everything else (other text, code blocks, line endings, encoding,
  byte order mark) is copied byte for byte. `Change.diff()` is the dry run;
  `write(change)` replaces the file atomically.

Fixing twice changes nothing the second time: the new locations are ok, an
archived copy is never rewritten, and an appended archive link or a BibTeX
`archiveurl` is not added again.
"""

from __future__ import annotations

import codecs
import difflib
import html
import json
import os
import re
import shutil
import tempfile
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from linkcheck.check.classify import PERMANENT_STATUSES
from linkcheck.collect import encoding, files, pdf, sitemap, sniff
from linkcheck.config import Config, FixConfig
from linkcheck.models import Citation, Fetch, Report, Result, Snapshot, Verdict

# Hosts that serve archived copies: a citation of one is never rewritten (a
# snapshot of a snapshot helps no one). `snapshot_url`'s and the TimeGates'
# hosts are added from the config.
ARCHIVE_HOSTS = frozenset({
    "archive.org", "archive.today", "archive.ph", "archive.is", "archive.li", "archive.md",
    "archive-it.org", "webcitation.org",
})
# What the "append" style adds after a link, around the escaped snapshot URL.
MARKDOWN_ARCHIVED = " ([archived]({}))"
HTML_ARCHIVED = ' (<a href="{}">archived</a>)'

_ALREADY_ARCHIVED = {
    "markdown": re.compile(r"[ \t]*\(\[archived\]\("),
    "html": re.compile(r"[ \t]*\(<a\s[^>]*>archived</a>\)", re.IGNORECASE),
}
_NEWLINE = re.compile(r"\r\n?|\n")  # the line ends collect counts
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_BOMS = (  # explicit byte orders, so the mark written back is the one read
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose mark it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ABSOLUTE = re.compile(r"(?i:https?:)?//|(?i:www\.)")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_NOT_A_FILE = re.compile(r"(?i:https?://)|<stdin>\Z")
# Markdown: what precedes an inline link's destination, or a reference
# definition's; what follows the destination up to the link's end.
_INLINE_OPENING = re.compile(r"\]\([ \t]*\n?[ \t]*<?\Z")
_DEFINITION = re.compile(r"\[(?:[^\[\]\\]|\\.)+\]:[ \t]*\n?[ \t]*<?\Z")
_INLINE_CLOSING = re.compile(
    r""">?[ \t]*\n?[ \t]*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\))?"""
    r"""[ \t]*\n?[ \t]*\)"""
)
_LOOK_BACK = 1000  # characters looked at before a URL to tell its Markdown construct
_START_TAG = re.compile(r"""<([A-Za-z][A-Za-z0-9:-]*)(?:"[^"]*"|'[^']*'|[^'">])*>""")
_ANCHOR_END = re.compile(r"</a[\t\n\f\r ]*>", re.IGNORECASE)
_BIB_ENTRY = re.compile(r"@[ \t]*[A-Za-z]+[ \t]*[{(]")
_BIB_ARCHIVE_FIELD = re.compile(r"[\s,{(]archiveurl\s*=", re.IGNORECASE)
_LATEX_SPECIALS = "%&#_$"
_UNSAFE = {  # characters percent-encoded in a new URL, by where it is written
    "text": re.compile(r'[\s<>"`]'),
    "html": re.compile(r"\s"),
    "bibtex": re.compile(r'[\s{}"]'),
}


class FixError(Exception):
    """A change that cannot be written; the message names the file."""


@dataclass(frozen=True, slots=True)
class Fix:
    """One citation to rewrite: its URL as written stands for `url` from now
    on; `snapshot` is set when `url` is an archived copy (the page is gone)."""

    citation: Citation
    verdict: Verdict
    url: str
    snapshot: Snapshot | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """A citation left as it is, and why; a `problem` is one that should have
    been fixed and could not be (its file changed since the check, say)."""

    citation: Citation
    reason: str
    problem: bool = False


@dataclass(frozen=True, slots=True)
class Plan:
    """What the report alone says to rewrite, and what it says to leave."""

    fixes: tuple[Fix, ...]
    skipped: tuple[Skip, ...]


@dataclass(frozen=True, slots=True)
class Change:
    """One file rewritten: its bytes and text before and after, and the fixes made."""

    path: str
    before: bytes
    after: bytes
    old_text: str
    new_text: str
    fixes: tuple[Fix, ...]

    def diff(self) -> str:
        """A unified diff of the text, as `git diff` would show it."""
        lines = difflib.unified_diff(
            _LINE.findall(self.old_text),
            _LINE.findall(self.new_text),
            *(self.path if os.path.isabs(self.path) else f"{side}/{self.path}" for side in "ab"),
        )
        return "".join(
            line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
            for line in lines
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What fixing would do: the files changed, and the citations left alone."""

    changes: tuple[Change, ...]
    skipped: tuple[Skip, ...]

    @property
    def problems(self) -> tuple[Skip, ...]:
        return tuple(skip for skip in self.skipped if skip.problem)


# --- planning: from the report alone -----------------------------------------


def plan(
    report: Report, config: Config, *, selected: Callable[[str], bool] | None = None
) -> Plan:
    """What each citation of a verdict in `config.fix.verdicts` becomes;
    `selected` limits it to some documents (by source)."""
    rules = config.fix
    archives = _archive_hosts(config)
    fixes: list[Fix] = []
    skipped: list[Skip] = []
    for result in report.results:
        if result.verdict not in rules.verdicts:
            continue
        target, reason = _target(result, rules, archives)
        for citation in result.citations:
            if selected is not None and not selected(citation.source):
                continue
            if _NOT_A_FILE.match(citation.source):
                skipped.append(Skip(citation, "not a local file"))
            elif target is None:
                skipped.append(Skip(citation, reason))
            else:
                snapshot = None if result.verdict is Verdict.MOVED else result.archive
                fixes.append(Fix(citation, result.verdict, target, snapshot))
    return Plan(tuple(fixes), tuple(skipped))


def permanent_location(fetch: Fetch) -> str | None:
    """Where a moved URL now is, when every redirect up to there was permanent
    (a temporary hop on the way means the move may be temporary too)."""
    hops = fetch.redirects
    permanent = [i for i, hop in enumerate(hops) if hop.status in PERMANENT_STATUSES]
    if fetch.suggestion is None or not permanent or len(permanent) != permanent[-1] + 1:
        return None
    after = permanent[-1] + 1
    location = hops[after].url if after < len(hops) else fetch.final_url
    return fetch.suggestion if location == fetch.suggestion else None


def _target(result: Result, rules: FixConfig, archives: frozenset[str]) -> tuple[str | None, str]:
    """The URL a result's citations should point at, or None and why not."""
    host = _host(result.url)
    if _listed(host, rules.never_hosts):
        return None, f"{host} is in never_hosts"
    if _listed(host, archives):
        return None, "already an archived copy"
    if result.verdict is Verdict.MOVED:
        return _moved(result)
    return _archived(result, rules.min_confirmations)


def _moved(result: Result) -> tuple[str | None, str]:
    location = permanent_location(result.fetch)
    if location is None:
        if not result.fetch.redirects:
            return None, "no redirect chain recorded"
        return None, "a temporary redirect on the way: the move may not last"
    old, new = urlsplit(result.url), urlsplit(location)
    if new.scheme.lower() not in ("http", "https"):
        return None, f"moved to a {new.scheme or 'relative'} URL"
    if new.path in ("", "/") and not new.query and old.path not in ("", "/"):
        return None, "redirected to the site's home page: a lost page, not a move"
    if old.fragment and "#" not in location:
        location += "#" + old.fragment  # as browsers keep it through a redirect
    return location, ""


def _archived(result: Result, needed: int) -> tuple[str | None, str]:
    if result.archive is None:
        return None, f"no archived copy ({result.archive_reason or 'not looked up'})"
    if needed:
        history = result.history
        if history is None:
            return None, f"min_confirmations = {needed} needs the history, and this run kept none"
        if history.consecutive_failures < needed:
            return None, (
                f"failed {history.consecutive_failures} of the {needed} checks in a row "
                "min_confirmations asks for"
            )
    return result.archive.url, ""


def _archive_hosts(config: Config) -> frozenset[str]:
    named = [config.archive.snapshot_url, *(gate.url for gate in config.archive.timegates)]
    return ARCHIVE_HOSTS | {host for url in named if (host := _host(url))}


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # a malformed authority, such as an unclosed IPv6 bracket
        return ""


def _listed(host: str, names: Sequence[str] | frozenset[str]) -> bool:
    """`host` is one of `names` or a subdomain of one."""
    return bool(host) and any(host == name or host.endswith("." + name) for name in names)


def within(inputs: Sequence[str]) -> Callable[[str], bool]:
    """Whether a source is one of the inputs (files, folders, glob patterns) or
    under one of their folders; raises InputError for an input that does not exist."""
    paths = [os.path.realpath(path) for name in inputs for path, _ in files.expand(name)]
    folders = tuple(os.path.join(path, "") for path in paths if os.path.isdir(path))
    named = frozenset(paths)

    def selected(source: str) -> bool:
        real = os.path.realpath(source)
        return real in named or real.startswith(folders)

    return selected


# --- applying: in each file, at the recorded positions only -------------------


@dataclass(frozen=True, slots=True)
class _Splice:
    """Text `new` in place of text[start:end] (an insertion when they are equal)."""

    start: int
    end: int
    new: str
    fixes: tuple[Fix, ...]


@dataclass(frozen=True, slots=True)
class _Decoded:
    """A file's text as collect read it, and how to write it back the same way."""

    bom: bytes
    codec: str
    text: str


def prepare(plan: Plan, style: str) -> Outcome:
    """The changes the plan makes to each file (nothing is written)."""
    by_file: dict[str, list[Fix]] = {}
    for fix in plan.fixes:
        by_file.setdefault(os.path.realpath(fix.citation.source), []).append(fix)
    changes: list[Change] = []
    skipped = list(plan.skipped)
    for fixes in by_file.values():
        change, passed = rewrite(fixes[0].citation.source, fixes, style)
        skipped += passed
        if change is not None:
            changes.append(change)
    return Outcome(tuple(changes), tuple(skipped))


def rewrite(path: str, fixes: Sequence[Fix], style: str) -> tuple[Change | None, list[Skip]]:
    """One file with `fixes` made, or None when none can be; and the fixes not made."""

    def every(reason: str, *, problem: bool = True) -> tuple[None, list[Skip]]:
        return None, [Skip(fix.citation, reason, problem) for fix in fixes]

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return every(f"cannot read the file: {files.problem(path, error)}")
    kind = files.kind_for_name(path)
    if kind in files.BINARY_KINDS or (kind is None and (pdf.sniff(data) or sitemap.sniff(data))):
        return every(f"a {kind or 'binary'} document is not rewritten", problem=False)
    try:
        decoded = _decode(data, kind)
    except encoding.Undecodable as error:
        return every(f"cannot rewrite the file: {error}")
    kind = kind or sniff(decoded.text)
    splices, skipped = _splices(decoded, kind, fixes, style)
    if not splices:
        return None, skipped
    new_text = _spliced_text(decoded.text, splices)
    after = _spliced_bytes(data, decoded, splices)
    if after is None or after[len(decoded.bom) :].decode(decoded.codec) != new_text:
        return every(f"cannot rewrite the file byte for byte in {decoded.codec}")
    made = tuple(fix for splice in splices for fix in splice.fixes)
    return Change(path, data, after, decoded.text, new_text, made), skipped


def write(change: Change) -> None:
    """Replace the file with `change.after`, unless it changed since it was read."""
    path = Path(os.path.realpath(change.path))
    try:
        if path.read_bytes() != change.before:
            raise FixError(f"{change.path}: changed while being fixed; not written")
        write_bytes_atomic(path, change.after)
    except OSError as error:
        raise FixError(files.problem(change.path, error)) from None


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """`report.write_atomic` for bytes, keeping the file's permissions: a
    document is replaced whole or not at all, never left half-written."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _decode(data: bytes, kind: str | None) -> _Decoded:
    """The text collect reads (`encoding.decode`), with the codec and byte
    order mark that give those bytes back."""
    declared = encoding.declared_in(data) if kind == "html" else []
    text = encoding.decode(data, declared)
    bom, marked = next(((mark, name) for mark, name in _BOMS if data.startswith(mark)), (b"", ""))
    body = data[len(bom) :]
    for name in _candidates(data, marked, declared):
        try:
            if body.decode(name) == text:
                return _Decoded(bom, codecs.lookup(name).name, text)
        except (UnicodeDecodeError, LookupError):
            continue
    raise encoding.Undecodable("cannot tell which encoding gives its bytes back")


def _candidates(data: bytes, marked: str, declared: list[str]) -> Iterator[str]:
    """The codecs `encoding.decode` may have used, in its order (the costly
    detection last, only when asked)."""
    if marked:
        yield marked
        return
    yield "utf-8"
    yield from declared
    yield encoding.detect(data)


class _Lines:
    """(line, column) positions, as collect counts them, to offsets."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = [0, *(match.end() for match in _NEWLINE.finditer(text))]

    def offset(self, line: int, column: int) -> int | None:
        if not 1 <= line <= len(self._starts) or column < 1:
            return None
        start = self._starts[line - 1]
        match = _NEWLINE.search(self._text, start)
        end = match.start() if match else len(self._text)
        return start + column - 1 if start + column - 1 < end else None


def _splices(
    decoded: _Decoded, kind: str, fixes: Sequence[Fix], style: str
) -> tuple[list[_Splice], list[Skip]]:
    text = decoded.text
    lines = _Lines(text)
    entries = _BibEntries(text) if kind == "bibtex" else None
    splices: list[_Splice] = []
    skipped: list[Skip] = []
    for fix in fixes:
        citation = fix.citation
        start = lines.offset(citation.line, citation.column)
        if start is None or not text.startswith(citation.url, start):
            where = f"line {citation.line}, column {citation.column}"
            skipped.append(Skip(citation, f"not written at {where} any more: the file changed "
                                          "since it was checked", problem=True))
            continue
        splice = _splice(text, kind, fix, start, style, entries)
        if isinstance(splice, str):
            skipped.append(Skip(citation, splice))
        elif _encodable(splice.new, decoded.codec):
            splices.append(splice)
        else:
            skipped.append(Skip(citation, f"the new URL cannot be written in {decoded.codec}",
                                problem=True))
    return _apart(splices, skipped)


def _splice(
    text: str, kind: str, fix: Fix, start: int, style: str, entries: _BibEntries | None
) -> _Splice | str:
    """The edit for one fix, or why there is none."""
    end = start + len(fix.citation.url)
    location, reason = _location(fix, kind)
    if location is None:
        return reason
    where = _where(text, start, kind)
    written = _escaped(location, where, fix.citation.url)
    if fix.snapshot is None:
        return _Splice(start, end, written, (fix,))
    if entries is not None:
        return _archive_fields(text, start, fix, written, entries)
    if style == "append" and where in ("text", "html") and kind in ("markdown", "html"):
        form = "html" if where == "html" else "markdown"
        at = _html_link_end(text, start, end) if form == "html" else _markdown_link_end(
            text, start, end
        )
        if at is not None:
            if _ALREADY_ARCHIVED[form].match(text, at):
                return "already followed by its archived copy"
            template = HTML_ARCHIVED if form == "html" else MARKDOWN_ARCHIVED
            return _Splice(at, at, template.format(written), (fix,))
    return _Splice(start, end, written, (fix,))


def _location(fix: Fix, kind: str) -> tuple[str | None, str]:
    """The new URL as it should be written where the old one was: absolute
    where the old one was, root-relative for a move within the site."""
    written = fix.citation.url.strip()
    if _ABSOLUTE.match(written):
        return fix.url, ""
    if kind == "bibtex" or _SCHEME.match(written):
        return None, "written as an identifier (a DOI, an arXiv id), not a URL"
    if fix.snapshot is not None:
        return fix.url, ""  # the page is gone: its copy is on another site
    old, new = urlsplit(fix.citation.resolved), urlsplit(fix.url)
    if written.startswith("/") and (old.scheme, old.netloc) == (new.scheme, new.netloc):
        return urlunsplit(("", "", new.path or "/", new.query, new.fragment)), ""
    return None, "a relative link that moved off its site, or relative to its page"


def _where(text: str, start: int, kind: str) -> str:
    """How a URL is written at `start`: "html" (an attribute), "bibtex", "json"
    or "text" (Markdown, plain text, reStructuredText, lists)."""
    if kind == "bibtex":
        return "bibtex"
    if kind == "jsonl":
        return "json"
    if kind == "html" or (kind == "markdown" and _in_tag(text, start)):
        return "html"
    return "text"


def _in_tag(text: str, start: int) -> bool:
    """Inside a start tag (raw HTML in Markdown), not an autolink's `<`."""
    opening = text.rfind("<", 0, start)
    return (
        opening > text.rfind(">", 0, start)
        and opening < start - 1
        and re.match(r"<[A-Za-z][A-Za-z0-9:-]*[\t\n\f\r ]", text[opening : opening + 64])
        is not None
    )


def _escaped(url: str, where: str, written: str) -> str:
    """`url` written so the document reads it back as that URL."""
    if where == "json":
        return json.dumps(url, ensure_ascii=False)[1:-1]
    url = _UNSAFE[where].sub(lambda match: quote(match[0], safe=""), url)
    if where == "html":
        return html.escape(url, quote=True)
    if where == "bibtex":
        # LaTeX escapes as the entry writes them: `\%` where it wrote `\%`.
        for special in _LATEX_SPECIALS:
            if "\\" + special in written:
                url = url.replace(special, "\\" + special)
        return url
    if url.count("(") != url.count(")"):  # Markdown and prose end a link at an unmatched one
        url = url.replace("(", "%28").replace(")", "%29")
    return url


def _markdown_link_end(text: str, start: int, end: int) -> int | None:
    """Where the Markdown link whose URL is text[start:end] ends; None for a
    reference definition, which has no room for a second link."""
    before = text[max(0, start - _LOOK_BACK) : start]
    if _DEFINITION.search(before):
        return None
    if _INLINE_OPENING.search(before):
        closing = _INLINE_CLOSING.match(text, end)
        return closing.end() if closing else None
    if before.endswith("<") and text.startswith(">", end):
        return end + 1  # an autolink
    return end  # a bare URL


def _html_link_end(text: str, start: int, end: int) -> int | None:
    """Where the `<a>` element whose attribute holds text[start:end] ends."""
    opening = text.rfind("<", 0, start)
    tag = _START_TAG.match(text, opening) if opening >= 0 else None
    if tag is None or tag[1].lower() != "a" or tag.end() <= end:
        return None
    closing = _ANCHOR_END.search(text, tag.end())
    return closing.end() if closing else None


class _BibEntries:
    """The entries of a BibTeX file, found from any offset inside one."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._found = [(match.start(), match.end()) for match in _BIB_ENTRY.finditer(text)]
        self._starts = [start for start, _ in self._found]

    def around(self, offset: int) -> tuple[int, int] | None:
        """The entry holding `offset`: the end of its `@type{` and its closing delimiter."""
        index = bisect_right(self._starts, offset) - 1
        if index < 0:
            return None
        opened = self._found[index][1]
        closer = "}" if self._text[opened - 1] == "{" else ")"
        depth = 0
        for position in range(opened, len(self._text)):
            char = self._text[position]
            if char == "{":
                depth += 1
            elif char == "}" and depth:
                depth -= 1
            elif char == closer and not depth:
                return (opened, position) if position > offset else None
        return None


def _archive_fields(
    text: str, start: int, fix: Fix, written: str, entries: _BibEntries
) -> _Splice | str:
    """`archiveurl` and `archivedate` added at the end of the citing entry, in
    its layout (one field a line, indented like the citing field)."""
    assert fix.snapshot is not None
    entry = entries.around(start)
    if entry is None:
        return "cannot find the end of its BibTeX entry"
    opened, closing = entry
    if _BIB_ARCHIVE_FIELD.search(text, opened - 1, closing):
        return "its entry already has an archiveurl"
    last = closing
    while last > opened and text[last - 1].isspace():
        last -= 1
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    indent = re.match(r"[ \t]*", text[line_start:start])
    if _NEWLINE.search(text, opened, closing):
        newline = _NEWLINE.search(text)
        separator = (newline[0] if newline else "\n") + (
            indent[0] if indent and line_start > opened else "  "
        )
    else:
        separator = " "
    date = fix.snapshot.timestamp.date().isoformat()
    fields = f"archiveurl = {{{written}}},{separator}archivedate = {{{date}}}"
    new = f"{separator}{fields}," if text[last - 1] == "," else f",{separator}{fields}"
    return _Splice(last, last, new, (fix,))


def _apart(splices: list[_Splice], skipped: list[Skip]) -> tuple[list[_Splice], list[Skip]]:
    """The splices in order, without overlaps: the same edit asked twice (a
    definition cited by several links) is made once; of two edits of one
    place, the first is made."""
    kept: list[_Splice] = []
    for splice in sorted(splices, key=lambda splice: (splice.start, splice.end)):
        last = kept[-1] if kept else None
        if last is not None and (last.start, last.end, last.new) == (
            splice.start, splice.end, splice.new
        ):
            kept[-1] = replace(last, fixes=last.fixes + splice.fixes)
        elif last is not None and (
            splice.start < last.end or (splice.start == last.start == last.end == splice.end)
        ):
            reason = "another fix already rewrites this place"
            if splice.fixes[0].snapshot is not None and splice.start == splice.end:
                reason = "its entry already gets the archived copy of another URL"
            skipped += [Skip(fix.citation, reason) for fix in splice.fixes]
        else:
            kept.append(splice)
    return kept, skipped


def _encodable(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _spliced_text(text: str, splices: list[_Splice]) -> str:
    pieces, at = [], 0
    for splice in splices:
        pieces += [text[at : splice.start], splice.new]
        at = splice.end
    pieces.append(text[at:])
    return "".join(pieces)


def _spliced_bytes(data: bytes, decoded: _Decoded, splices: list[_Splice]) -> bytes | None:
    """The original bytes with each splice's text encoded in place; every byte
    between splices is copied. None when the text does not map one to one
    onto the bytes (a stateful encoding), so no offset can be trusted."""
    text, codec = decoded.text, decoded.codec
    pieces = [decoded.bom]
    char_at, byte_at = 0, len(decoded.bom)
    for splice in splices:
        kept = text[char_at : splice.start].encode(codec)
        old = text[splice.start : splice.end].encode(codec)
        start = byte_at + len(kept)
        if data[byte_at:start] != kept or data[start : start + len(old)] != old:
            return None
        pieces += [data[byte_at:start], splice.new.encode(codec)]
        char_at, byte_at = splice.end, start + len(old)
    pieces.append(data[byte_at:])
    return b"".join(pieces)
