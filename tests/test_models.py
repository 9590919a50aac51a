"""`Citations`: a URL's citations kept as columns read back as the citations given."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

from linkcheck.models import Citation, CitationColumns, Citations, Fetch, Result, Verdict

PLAIN = Citation("a.md", 3, 1, "a", "https://a.example/", "https://a.example/")
RELATIVE = Citation("b.md", 70_000, 12, "", "/x", "https://a.example/x")
DATED = Citation("c.md", 1, 1, "c", "https://a.example/", "https://a.example/", dt.date(2020, 1, 2))
EQUAL = Citation("d.md", 2, 5, "d", "".join(["https://a.", "example/"]), "https://a.example/")


def gathered(*citations: Citation) -> Citations:
    columns = CitationColumns()
    for citation in citations:
        columns.append(citation)
    return columns.freeze()


@pytest.mark.parametrize(
    "given",
    [
        (),
        (PLAIN,),
        (PLAIN, PLAIN),
        (PLAIN, RELATIVE, PLAIN),  # a resolved URL of its own after one without
        (PLAIN, DATED, PLAIN),  # a date after undated ones, then none again
        (RELATIVE, DATED, PLAIN, RELATIVE),
        (PLAIN, EQUAL, RELATIVE),  # the same URL as another string, then another URL
    ],
)
def test_citations_read_back_as_given(given: tuple[Citation, ...]) -> None:
    citations = gathered(*given)
    assert tuple(citations) == given
    assert len(citations) == len(given)
    assert [citations[i] for i in range(len(given))] == list(given)
    assert citations[-1:] == given[-1:]
    backwards = range(-1, -len(given) - 1, -1)
    assert [citations[i] for i in backwards] == [given[i] for i in backwards]
    with pytest.raises(IndexError):
        citations[len(given)]
    with pytest.raises(IndexError):
        citations[-len(given) - 1]
    assert citations == given
    assert given == citations
    assert citations == list(given)
    fields = [(c.source, c.line, c.column, c.text, c.url, c.resolved, c.cited_on) for c in given]
    assert list(citations.rows()) == fields
    assert hash(citations) == hash(given)
    assert Citations(given) == citations
    assert pickle.loads(pickle.dumps(citations)) == citations
    for citation in citations:  # one string for both when the URL was absolute
        assert citation.resolved is citation.url or citation.resolved != citation.url


def test_a_result_with_citations_equals_one_with_a_tuple() -> None:
    fetch = Fetch(Verdict.OK, status=200)
    columns = Result("https://a.example/", fetch, gathered(PLAIN, DATED))
    plain = Result("https://a.example/", fetch, (PLAIN, DATED))
    assert isinstance(plain.citations, Citations)  # a tuple given is made one
    assert columns == plain
    assert hash(columns) == hash(plain)
    assert columns != Result("https://a.example/", fetch, (DATED, PLAIN))
    assert "a.md" in repr(columns.citations)


def test_citations_differ_from_other_values() -> None:
    citations = gathered(PLAIN)
    assert citations != (RELATIVE,)
    assert citations != "a.md"
    assert citations != 1
