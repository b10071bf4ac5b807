"""Answers checked against their questionnaire, and scored per dimension.

A question scores its answer's points over the question's highest, 0 to 1. A
dimension's score is the weighted mean of its questions, in percent; the whole
assessment's is the weighted mean of its dimensions. The level names the
stage of maturity a score stands for. Only a complete set of answers is
scored: a gap assessment with holes would flatter the weak dimensions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from riskhub.assessments.questionnaire import Dimension, Question, Questionnaire

LEVELS = ((75.0, "advanced"), (50.0, "established"), (25.0, "developing"), (0.0, "initial"))


def level(score: float) -> str:
    """The stage of maturity a score in percent stands for."""
    return next(name for floor, name in LEVELS if score >= floor)


@dataclass(frozen=True)
class Scored:
    """One question's answer and what it scored."""

    dimension: str
    question: str
    answer: Any
    points: int
    top: int
    better: str | None  # the next answer up, for the gap report (None at the top)


def check(questionnaire: Questionnaire, answers: dict[str, Any]) -> list[str]:
    """What is wrong with ``answers`` (unknown questions, answers that are not allowed)."""
    questions = questionnaire.questions()
    where = f"{questionnaire.code} version {questionnaire.version}"
    problems = [f"{key}: there is no such question in {where}"
                for key in answers if key not in questions]  # fmt: skip
    for key, value in answers.items():
        if key in questions and _points(questions[key][1], value) is None:
            problems.append(f"{key}: {_allowed(questions[key][1], value)}")
    return problems


def missing(questionnaire: Questionnaire, answers: dict[str, Any]) -> list[str]:
    """The questions not answered yet, in the questionnaire's order."""
    return [key for key in questionnaire.questions() if key not in answers]


def _points(question: Question, value: Any) -> int | None:
    if question.options:
        return next((o.score for o in question.options if o.answer == value), None)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if value < 0 or (question.at_most is not None and value > question.at_most):
        return None
    return max(b.score for b in question.bands if value >= b.at_least)


def _allowed(question: Question, value: Any) -> str:
    if question.options:
        choices = ", ".join(repr(o.answer) for o in question.options)
        return f"{value!r} is not one of the answers: {choices}"
    most = f" and at most {question.at_most:g}" if question.at_most is not None else ""
    shown = f"{value:g}" if isinstance(value, float) else repr(value)
    return f"{shown} is not a number of 0 or more{most}"


def _better(question: Question, points: int) -> str | None:
    if question.options:
        up = [o for o in question.options if o.score > points]
        return min(up, key=lambda o: o.score).answer if up else None
    higher = [b for b in question.bands if b.score > points]
    return f"at least {min(higher, key=lambda b: b.score).at_least:g}" if higher else None


def score(questionnaire: Questionnaire, answers: dict[str, Any]) -> dict[str, Any]:
    """The scores of a complete, valid set of answers: overall, per dimension, per question."""
    problems = check(questionnaire, answers) + [
        f"{key}: not answered" for key in missing(questionnaire, answers)
    ]
    if problems:
        raise ValueError("; ".join(problems))
    dimensions: list[dict[str, Any]] = []
    for d in questionnaire.dimensions:
        scored = [_scored(d, q, answers[q.key]) for q in d.questions]
        dimensions.append({
            "key": d.key, "title": d.title, "weight": d.weight,
            "score": _mean([(s.points / s.top, q.weight) for s, q in zip(scored, d.questions,
                                                                           strict=True)]),
            "questions": [s.__dict__ for s in scored],
        })  # fmt: skip
    for row in dimensions:
        row["level"] = level(row["score"])
    overall = _mean([(row["score"] / 100, row["weight"]) for row in dimensions])
    return {
        "code": questionnaire.code,
        "version": questionnaire.version,
        "overall": overall,
        "level": level(overall),
        "dimensions": dimensions,
    }


def _scored(dimension: Dimension, question: Question, value: Any) -> Scored:
    points = _points(question, value)
    assert points is not None  # checked above
    return Scored(dimension.key, question.key, value, points, question.top,
                  _better(question, points))  # fmt: skip


def _mean(parts: list[tuple[float, float]]) -> float:
    """The weighted mean of (share, weight) pairs, in percent with one decimal."""
    return round(100 * sum(s * w for s, w in parts) / sum(w for _, w in parts), 1)


def weakest_first(scores: dict[str, Any]) -> list[dict[str, Any]]:
    """The dimensions from the weakest up, each with its weakest questions first (the gap)."""
    out = []
    for d in sorted(scores["dimensions"], key=lambda d: (d["score"], d["key"])):
        questions = sorted(d["questions"], key=lambda q: (q["points"] / q["top"], q["question"]))
        out.append({**d, "questions": questions})
    return out
