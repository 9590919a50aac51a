"""BibTeX: every URL, DOI and arXiv id of a real-shaped bibliography, where it is written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from linkcheck.collect import collect, extract_document
from linkcheck.config import Config
from linkcheck.models import Citation

FIXTURE = Path(__file__).parent / "fixtures" / "sources" / "refs.bib"
KNUTH = "knuth1984: Literate Programming"
BROWN = "brown2020: Language Models are Few-Shot Learners"
DATASET = "dataset: Größe Daten"
ESCAPED = "escaped: Underscores in URLs"


def _bib(source: str) -> tuple[list[Citation], list[str]]:
    warnings: list[str] = []
    found = extract_document(
        source.encode(),
        source="refs.bib",
        base=None,
        kind="bibtex",
        content_type=None,
        config=Config(),
        warn=warnings.append,
    )
    return list(found), warnings


def test_a_bibliography_cites_each_url_doi_and_eprint_where_written() -> None:
    warnings: list[str] = []
    citations = list(collect([str(FIXTURE)], Config(), warn=warnings.append))
    assert [(c.line, c.column, c.url, c.resolved, c.text, c.cited_on) for c in citations] == [
        (9, 14, "10.1093/comjnl/27.2.97", "https://doi.org/10.1093/comjnl/27.2.97",
         KNUTH, dt.date(2021, 12, 16)),
        (10, 14, "https://academic.example.org/comjnl/article/27/2/97/343244",
         "https://academic.example.org/comjnl/article/27/2/97/343244",
         KNUTH, dt.date(2021, 12, 16)),
        (16, 14, "https://html.spec.whatwg.org/multipage/",
         "https://html.spec.whatwg.org/multipage/",
         "w3c-html: HTML Living Standard", dt.date(2023, 3, 1)),
        (23, 20, "1706.03762", "https://arxiv.org/abs/1706.03762",
         "vaswani2017: Attention Is All You Need", None),
        (31, 17, "arXiv:2005.14165", "https://arxiv.org/abs/2005.14165", BROWN, None),
        (32, 17, "https://doi.org/10.48550/arXiv.2005.14165",
         "https://doi.org/10.48550/arXiv.2005.14165", BROWN, None),
        (37, 24, "https://data.example.org/gross_daten", "https://data.example.org/gross_daten",
         DATASET, dt.date(2022, 5, 4)),
        (38, 33, "https://mirror.example.org/daten", "https://mirror.example.org/daten",
         DATASET, dt.date(2022, 5, 4)),
        (39, 19, "https://notes.example.org/daten", "https://notes.example.org/daten",
         DATASET, dt.date(2022, 5, 4)),
        (50, 14, "https://conf.example.org/paper\\_42/final\\%20version.pdf",
         "https://conf.example.org/paper_42/final%20version.pdf", ESCAPED, None),
        (51, 14, "doi:10.1145/3368089.3409719", "https://doi.org/10.1145/3368089.3409719",
         ESCAPED, None),
        (60, 14, "https://reports.example.org/tr-2019.pdf",
         "https://reports.example.org/tr-2019.pdf",
         "tr-2019: A Technical Report", dt.date(2021, 12, 16)),
        (66, 12, "https://duplicate.example.org/", "https://duplicate.example.org/",
         "knuth1984: The Same Key Again", None),
    ]
    assert {c.source for c in citations} == {str(FIXTURE)}
    assert warnings == [
        f"{FIXTURE}: line 54: malformed entry @article{{broken skipped: Unexpected block "
        "start: `@techreport`. Was still looking for field-value closing `}`",
        f"{FIXTURE}: line 64: duplicate entry key 'knuth1984', cited all the same",
    ]


def test_every_line_of_the_fixture_that_the_positions_name_holds_the_url() -> None:
    lines = FIXTURE.read_text(encoding="utf-8").split("\n")
    for citation in collect([str(FIXTURE)], Config(), warn=lambda _: None):
        line = lines[citation.line - 1]
        assert line[citation.column - 1 :].startswith(citation.url), citation


def test_an_eprint_is_arxiv_only_when_the_entry_says_so() -> None:
    citations, _ = _bib("@misc{pm, eprint = {31452104}, eprinttype = {pubmed}}\n")
    assert citations == []


def test_a_url_field_that_is_not_one_url_is_read_as_prose() -> None:
    citations, warnings = _bib(
        "@misc{two,\n  url = {https://a.example.org/ and https://b.example.org/x},\n}\n"
    )
    assert [(c.line, c.column, c.url) for c in citations] == [
        (2, 10, "https://a.example.org/"),
        (2, 37, "https://b.example.org/x"),
    ]
    assert warnings == []


def test_field_names_are_case_insensitive_and_values_may_be_quoted() -> None:
    citations, _ = _bib('@Misc{k, TITLE = "T", Url = "https://x.example.org/", DOI = "10.1/x"}')
    assert [(c.column, c.url, c.resolved) for c in citations] == [
        (30, "https://x.example.org/", "https://x.example.org/"),
        (62, "10.1/x", "https://doi.org/10.1/x"),
    ]


def test_a_file_with_nothing_but_problems_cites_nothing_and_says_so() -> None:
    citations, warnings = _bib("@article{a,\n  title = {never closed\n")
    assert citations == []
    assert len(warnings) == 1
    assert warnings[0].startswith("refs.bib: line 1: malformed entry @article{a skipped:")


def test_a_url_command_inside_a_url_field_is_taken_apart() -> None:
    citations, _ = _bib("@misc{u,\n  url = {\\url{https://u.example.org/a}},\n}\n")
    assert [(c.line, c.column, c.url) for c in citations] == [(2, 15, "https://u.example.org/a")]
