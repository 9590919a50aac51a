"""Content drift's pure parts: main text, the retained share, the threshold, raw snapshots."""

from __future__ import annotations

import pytest
from site_farm import DRIFT_CASES, DriftCase, page, prose

from linkcheck.check.drift import measure, raw_snapshot_url, retained
from linkcheck.check.pagetext import parse

SNAPSHOT = "https://web.archive.org/web/20200101000000/https://x.org/report"


@pytest.mark.parametrize(
    ("snapshot", "raw"),
    [
        (SNAPSHOT, "https://web.archive.org/web/20200101000000id_/https://x.org/report"),
        ("https://web.archive.org/web/2020id_/https://x.org/",
         "https://web.archive.org/web/2020id_/https://x.org/"),
        ("https://web.archive.org/web/20200101000000im_/https://x.org/a.png",
         "https://web.archive.org/web/20200101000000id_/https://x.org/a.png"),
        ("https://archive.ph/AbCdE", "https://archive.ph/AbCdE"),
    ],
)
def test_the_raw_snapshot_is_the_id_form(snapshot: str, raw: str) -> None:
    assert raw_snapshot_url(snapshot) == raw


def test_main_text_leaves_out_furniture_scripts_and_banners() -> None:
    text = parse(
        "<html><head><title>T</title><script>var tracking = 1;</script></head><body>"
        "<nav>Home News About</nav><div class='cookie-banner'>We use cookies</div>"
        "<main><h1>Report</h1><p>The council met.</p><aside>Related stories</aside></main>"
        "<footer>Copyright</footer></body></html>"
    ).text
    assert text.split("\n") == ["Report", "The council met."]


@pytest.mark.parametrize("case", DRIFT_CASES, ids=lambda case: case.name)
def test_stable_pages_keep_their_score_and_drifted_ones_lose_it(case: DriftCase) -> None:
    result = measure(case.archived, case.live, snapshot=SNAPSHOT, threshold=0.5)
    assert result is not None
    assert result.drifted is case.drifted
    assert result.snapshot == SNAPSHOT


def test_added_text_does_not_count_as_drift_but_removed_text_does() -> None:
    text = prose("drift-unit", 4)
    archived = parse(page("R", "R", text))
    assert retained(archived, parse(page("R", "R", [*text, *prose("more", 6)]))) == 1.0
    assert retained(archived, parse(page("R", "R", text[:2]))) == pytest.approx(0.5, abs=0.1)


def test_a_snapshot_with_too_little_text_is_not_judged() -> None:
    assert measure(page("R", "R", ["Short."]), page("R", "R", ["Other."]),
                   snapshot=SNAPSHOT, threshold=0.5) is None
