"""The labelled corpus of `site_farm`: precision and recall of every flag, against targets.

Run with `-s` to see the table (or `python bench/soft404_eval.py`).
"""

from __future__ import annotations

from site_farm import CASES, DRIFT_CASES, evaluate

from linkcheck.models import Verdict

PRECISION, RECALL = 0.98, 0.9


def test_the_corpus_is_large_and_balanced() -> None:
    verdicts = [case.verdict for case in CASES]
    assert len(CASES) + 2 * len(DRIFT_CASES) >= 40
    assert verdicts.count(Verdict.SOFT_404) >= 10
    assert verdicts.count(Verdict.BLOCKED) >= 10
    assert verdicts.count(Verdict.OK) >= 10  # traps: genuine pages that must stay ok
    assert {case.drifted for case in DRIFT_CASES} == {True, False}


async def test_every_flag_meets_its_precision_and_recall_targets() -> None:
    evaluation = await evaluate()
    print("\n" + evaluation.table())
    for score in evaluation.scores.values():
        assert score.precision >= PRECISION, evaluation.table()
        assert score.recall >= RECALL, evaluation.table()
