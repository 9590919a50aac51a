"""PDF: link annotations and text-layer URLs, page by page, from PDFs written here."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.annotations import Link
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

import linkcheck.collect
from linkcheck.collect import Document, collect, extract_document
from linkcheck.config import Config
from linkcheck.models import Citation

Rect = tuple[float, float, float, float]
Page = tuple[list[str], list[tuple[Rect, str]]]  # lines of text, link annotations

WRAPPED = "https://www.example.org/a/very/long/path/that/wraps/onto/the/next/line"
# Lines start at (72, 720) and go down 14 points each.
PAPER: list[Page] = [
    (
        [
            "Attention Is All You Need",
            "Code: https://github.com/example/transformer",
            "Data at www.example.org/data, see also",
            "https://www.example.org/a/very/long/path/that/wraps/",
            "onto/the/next/line",
        ],
        [
            ((72, 717, 300, 731), "https://arxiv.org/abs/1706.03762"),
            ((72, 661, 400, 681), WRAPPED),
        ],
    ),
    ([], []),
    (["See (/relative/path) and doi:10.1000/182."], [((0, 0, 10, 10), "mailto:x@example.org")]),
]


def _pdf(pages: list[Page], *, password: str | None = None, created: str | None = None) -> bytes:
    """A PDF with these lines of Helvetica text and link annotations on each page."""
    writer = PdfWriter()
    font = writer._add_object(  # pypdf's writer has no public way to add a font resource
        DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        })
    )
    for number, (lines, links) in enumerate(pages):
        page = writer.add_blank_page(612, 792)
        fonts = DictionaryObject({NameObject("/F1"): font})
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
        shown = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                 for line in lines]
        stream = DecodedStreamObject()
        stream.set_data(
            "\n".join(["BT /F1 12 Tf 14 TL 72 720 Td", *(f"({s}) Tj T*" for s in shown), "ET"])
            .encode("latin-1")
        )
        page[NameObject("/Contents")] = writer._add_object(stream)
        for rect, url in links:
            writer.add_annotation(number, Link(rect=rect, url=url))
    if created:
        writer.add_metadata({"/CreationDate": created})
    if password is not None:
        writer.encrypt(user_password=password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _read(content: bytes) -> tuple[list[Citation], list[str]]:
    warnings: list[str] = []
    found = extract_document(
        content,
        source="paper.pdf",
        base="https://www.example.org/papers/paper.pdf",
        kind=None,
        content_type="application/pdf",
        config=Config(),
        warn=warnings.append,
    )
    return list(found), warnings


def test_a_paper_cites_annotations_then_text_urls_page_by_page() -> None:
    citations, warnings = _read(_pdf(PAPER, created="D:20211216093000+01'00'"))
    assert [(c.line, c.column, c.url, c.resolved, c.text) for c in citations] == [
        (1, 1, "https://arxiv.org/abs/1706.03762", "https://arxiv.org/abs/1706.03762",
         "Attention Is All You Need"),
        (1, 1, WRAPPED, WRAPPED, WRAPPED.replace("/onto", "/ onto", 1)),  # the text drawn there
        (1, 1, "https://github.com/example/transformer", "https://github.com/example/transformer",
         "Code"),
        (1, 1, "www.example.org/data", "http://www.example.org/data", "Data at"),
        # the wrapped URL's first line is left out: the annotation cites it whole
        (3, 1, "mailto:x@example.org", "mailto:x@example.org", ""),
        (3, 1, "/relative/path", "https://www.example.org/relative/path", "See"),
        (3, 1, "doi:10.1000/182", "https://doi.org/10.1000/182", "See and"),
    ]
    assert {c.cited_on for c in citations} == {dt.date(2021, 12, 16)}
    assert warnings == []


def test_a_pdf_in_a_folder_is_read_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linkcheck.collect, "STREAM_BYTES", 100)  # large files: sniffed first
    (tmp_path / "paper.pdf").write_bytes(_pdf(PAPER[:1]))
    (tmp_path / "scan").write_bytes(_pdf([(["https://scan.example.org/"], [])]))
    warnings: list[str] = []
    documents: list[Document] = []
    citations = list(
        collect(
            [str(tmp_path), str(tmp_path / "scan")],  # a PDF named without .pdf: by its bytes
            Config(),
            warn=warnings.append,
            on_document=documents.append,
        )
    )
    assert [(Path(d.source).name, d.kind) for d in documents] == [
        ("paper.pdf", "pdf"),
        ("scan", "pdf"),
    ]
    assert [c.url for c in citations][-1] == "https://scan.example.org/"
    assert len(citations) == 5
    assert warnings == []


def test_a_pdf_protected_only_against_editing_is_read() -> None:
    citations, warnings = _read(_pdf([([], [((0, 0, 9, 9), "https://open.example.org/")])],
                                     password=""))
    assert [c.url for c in citations] == ["https://open.example.org/"]
    assert warnings == []


@pytest.mark.parametrize(
    ("content", "warning"),
    [
        (_pdf([(["https://secret.example.org/"], [])], password="secret"),
         "paper.pdf: encrypted PDF that needs a password: not read"),
        (b"%PDF-1.7\n% nothing else\n", "paper.pdf: not a readable PDF: "),
        (_pdf(PAPER)[:300], "paper.pdf: not a readable PDF: "),
    ],
    ids=["encrypted", "empty", "truncated"],
)
def test_encrypted_or_corrupt_pdfs_get_a_clear_warning(content: bytes, warning: str) -> None:
    citations, warnings = _read(content)
    assert citations == []
    assert len(warnings) == 1
    assert warnings[0].startswith(warning)


def test_a_link_wrapped_over_two_lines_is_one_citation() -> None:
    url = "https://www.example.org/report"
    page: Page = (
        ["Read the full", "report online."],
        [((72, 717, 200, 731), url), ((72, 703, 200, 717), url)],  # a rectangle per line
    )
    citations, _ = _read(_pdf([page]))
    assert [(c.line, c.url, c.text) for c in citations] == [
        (1, url, "Read the full report online."),
    ]
