"""Questionnaires read with their lines, and scores checked against hand-computed answers."""

from __future__ import annotations

import pytest

from riskhub.assessments import scoring
from riskhub.assessments.questionnaire import QuestionnaireError, parse, shipped

SMALL = """\
code: T-ONE
version: 1
activity: S3
title: A small test questionnaire
dimensions:
  - key: a
    title: First
    weight: 2
    questions:
      - key: q1
        text: One
        options: [{answer: "no", score: 0}, {answer: "some", score: 1}, {answer: "yes", score: 3}]
      - key: q2
        text: Two
        weight: 3
        bands: [{at_least: 0, score: 0}, {at_least: 5, score: 2}, {at_least: 10, score: 4}]
  - key: b
    title: Second
    questions:
      - key: q3
        text: Three
        options: [{answer: "no", score: 0}, {answer: "yes", score: 1}]
"""


def test_scores_by_hand() -> None:
    form = parse(SMALL)
    scores = scoring.score(form, {"q1": "some", "q2": 7, "q3": "yes"})
    a, b = scores["dimensions"]
    # q1: 1 of 3 points, weight 1; q2: 7 reaches the band of 2 of 4 points, weight 3.
    # First = 100 * (1/3 * 1 + 2/4 * 3) / (1 + 3) = 45.83 -> 45.8, "developing".
    assert (a["key"], a["score"], a["level"]) == ("a", 45.8, "developing")
    assert (b["key"], b["score"], b["level"]) == ("b", 100.0, "advanced")
    # Overall = 100 * (0.458 * 2 + 1.0 * 1) / 3 = 63.9, "established".
    assert (scores["overall"], scores["level"]) == (63.9, "established")
    q1, q2 = a["questions"]
    assert (q1["points"], q1["top"], q1["better"]) == (1, 3, "yes")
    assert (q2["points"], q2["top"], q2["better"]) == (2, 4, "at least 10")
    assert b["questions"][0]["better"] is None  # already at the top
    # The gap report's order: the weakest dimension first, its weakest question first.
    weakest = scoring.weakest_first(scores)
    assert [d["key"] for d in weakest] == ["a", "b"]
    assert [q["question"] for q in weakest[0]["questions"]] == ["q1", "q2"]


def test_every_band_edge_and_the_extremes() -> None:
    form = parse(SMALL)
    top = scoring.score(form, {"q1": "yes", "q2": 10, "q3": "yes"})
    bottom = scoring.score(form, {"q1": "no", "q2": 4.99, "q3": "no"})
    assert (top["overall"], top["level"]) == (100.0, "advanced")
    assert (bottom["overall"], bottom["level"]) == (0.0, "initial")
    edge = scoring.score(form, {"q1": "no", "q2": 5, "q3": "no"})
    assert edge["dimensions"][0]["score"] == 37.5  # 100 * (0 + 2/4 * 3) / 4
    assert [scoring.level(s) for s in (24.9, 25.0, 49.9, 50.0, 74.9, 75.0)] == [
        "initial", "developing", "developing", "established", "established", "advanced"]  # fmt: skip


def test_bad_answers_are_named_and_incomplete_ones_not_scored() -> None:
    form = parse(SMALL)
    problems = scoring.check(form, {"q1": "maybe", "q2": -1, "q3": True, "q9": "yes"})
    assert problems == [
        "q9: there is no such question in T-ONE version 1",
        "q1: 'maybe' is not one of the answers: 'no', 'some', 'yes'",
        "q2: -1 is not a number of 0 or more",
        "q3: True is not one of the answers: 'no', 'yes'",
    ]
    assert scoring.check(form, {"q2": "7"}) == ["q2: '7' is not a number of 0 or more"]
    assert scoring.missing(form, {"q2": 3}) == ["q1", "q3"]
    with pytest.raises(ValueError, match="q1: not answered; q3: not answered"):
        scoring.score(form, {"q2": 3})


def test_a_questionnaire_with_mistakes_names_each_line() -> None:
    text = """\
code: t-one
version: 0
activity: S3
title: Broken
dimensions:
  - key: a
    title: First
    questions:
      - key: q1
        options: [{answer: "no", score: 1}, {answer: "no", score: 2}]
      - key: q1
        text: Again
        bands: [{at_least: 5, score: 0}, {at_least: 2, score: 1}]
      - key: q3
        text: Both
        options: [{answer: "no", score: 0}]
        bands: [{at_least: 0, score: 0}]
"""
    with pytest.raises(QuestionnaireError) as caught:
        parse(text)
    assert caught.value.problems == [
        "line 1, column 7 (code): code 't-one' is not of the form [A-Z][A-Z0-9-]{1,19}",
        "line 2, column 10 (version): version starts at 1",
        "line 9, column 9 (dimensions[0].questions[0].text): text is missing",
        "line 10, column 18 (dimensions[0].questions[0].options): two options have the same answer",
        "line 9, column 9 (dimensions[0].questions[0]): scores start at 0 (absent) and go up to "
        "at least 1",
        "line 13, column 16 (dimensions[0].questions[1].bands): bands go up: each at_least "
        "above the one before",
        "line 14, column 9 (dimensions[0].questions[2]): a question has either options (a "
        "choice) or bands (a number)",
    ]


def test_the_shipped_questionnaires_are_valid_and_serve_s3_and_s4() -> None:
    forms = {code: form for (code, _), form in shipped().items()}
    assert {code: form.activity for code, form in forms.items()} == {
        "RM-GAP": "S3", "STAFFING": "S4"}  # fmt: skip
    gap = forms["RM-GAP"]
    # The WCO process stages, the EU framework and the other agencies (S3's own words).
    assert [d.key for d in gap.dimensions] == [
        "context", "identification", "analysis", "treatment", "monitoring", "eu_alignment",
        "agencies"]  # fmt: skip
    for form in forms.values():
        lowest = {
            k: q.options[0].answer if q.options else 0 for k, (_, q) in form.questions().items()
        }
        assert scoring.score(form, lowest)["overall"] == 0.0
