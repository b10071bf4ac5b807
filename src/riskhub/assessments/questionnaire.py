"""Questionnaires as data: YAML parsed into a typed tree, each problem named with its line.

A questionnaire has dimensions; a dimension has questions; a question is
answered by picking one of its scored options, or by a number that falls in
one of its scored bands. Scores run from 0 (absent) to the question's highest.
The shipped questionnaires are in ``questionnaires/CODE.vN.yaml``; a new
version is a new file, so answers given to an older version keep its scoring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from riskhub.profiles.criteria.source import PathKey, Source, SourceError, load

SHIPPED = Path(__file__).parent / "questionnaires"
KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
CODE = re.compile(r"[A-Z][A-Z0-9-]{1,19}")


@dataclass(frozen=True)
class Option:
    answer: str
    score: int


@dataclass(frozen=True)
class Band:
    at_least: float
    score: int


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    options: tuple[Option, ...] = ()  # a choice ...
    bands: tuple[Band, ...] = ()  # ... or a number, scored by the highest band it reaches
    weight: float = 1.0
    at_most: float | None = None  # the highest number that makes sense (100 for a percent)

    @property
    def top(self) -> int:
        """The highest score an answer can get."""
        return max([o.score for o in self.options] + [b.score for b in self.bands])


@dataclass(frozen=True)
class Dimension:
    key: str
    title: str
    questions: tuple[Question, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Questionnaire:
    code: str
    version: int
    title: str
    activity: str  # the Action Plan activity it serves (S3, S4)
    dimensions: tuple[Dimension, ...]

    def questions(self) -> dict[str, tuple[Dimension, Question]]:
        """Every question by its key, with its dimension (keys are unique in a questionnaire)."""
        return {q.key: (d, q) for d in self.dimensions for q in d.questions}


class QuestionnaireError(ValueError):
    """A questionnaire file that cannot be used; ``problems`` say where and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse(text: str) -> Questionnaire:
    """A questionnaire from its YAML, or QuestionnaireError naming every problem's line."""
    try:
        source = load(text)
    except SourceError as error:
        raise QuestionnaireError([str(error)]) from None
    reader = _Reader(source)
    found = reader.questionnaire()
    if reader.problems or found is None:
        raise QuestionnaireError(reader.problems)
    return found


class _Reader:
    """Reads the tree and collects every problem, so an author sees them all at once."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[str] = []

    def fail(self, path: PathKey, message: str) -> None:
        self.problems.append(f"{self.source.loc(path)}: {message}")

    def field(self, data: dict[str, Any], path: PathKey, name: str, kind: type,
              pattern: re.Pattern[str] | None = None) -> Any:  # fmt: skip
        value = data.get(name)
        if value is None:
            self.fail((*path, name), f"{name} is missing")
        elif kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        elif not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            self.fail((*path, name), f"{name} should be {kind.__name__}, not {value!r}")
        elif pattern is not None and not pattern.fullmatch(str(value)):
            self.fail((*path, name), f"{name} {value!r} is not of the form {pattern.pattern}")
        else:
            return value
        return None

    def questionnaire(self) -> Questionnaire | None:
        data = self.source.data
        if not isinstance(data, dict):
            self.fail((), "a questionnaire is a mapping with code, version, title, dimensions")
            return None
        code = self.field(data, (), "code", str, CODE)
        version = self.field(data, (), "version", int)
        if isinstance(version, int) and version < 1:
            self.fail(("version",), "version starts at 1")
        title = self.field(data, (), "title", str)
        activity = self.field(data, (), "activity", str, re.compile(r"[SML][0-9]{1,2}"))
        dimensions = self.each(data, (), "dimensions", self.dimension)
        keys = [q.key for d in dimensions for q in d.questions]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            self.fail(("dimensions",), f"the question key {key!r} is used twice")
        if self.problems:
            return None
        return Questionnaire(code, version, title, activity, tuple(dimensions))

    def each(self, data: dict[str, Any], path: PathKey, name: str, read: Any) -> list[Any]:
        items = data.get(name)
        if not isinstance(items, list) or not items:
            self.fail((*path, name), f"{name} should be a list with at least one entry")
            return []
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                self.fail((*path, name, i), "each entry is a mapping")
                continue
            made = read(item, (*path, name, i))
            if made is not None:
                out.append(made)
        return out

    def dimension(self, data: dict[str, Any], path: PathKey) -> Dimension | None:
        key = self.field(data, path, "key", str, KEY)
        title = self.field(data, path, "title", str)
        weight = self.weight(data, path)
        questions = self.each(data, path, "questions", self.question)
        if key is None or title is None or not questions:
            return None
        return Dimension(key, title, tuple(questions), weight)

    def question(self, data: dict[str, Any], path: PathKey) -> Question | None:
        key = self.field(data, path, "key", str, KEY)
        text = self.field(data, path, "text", str)
        weight = self.weight(data, path)
        if ("options" in data) == ("bands" in data):
            self.fail(path, "a question has either options (a choice) or bands (a number)")
            return None
        options: list[Option] = []
        bands: list[Band] = []
        if "options" in data:
            options = self.each(data, path, "options", self.option)
            answers = [o.answer for o in options]
            if len(set(answers)) != len(answers):
                self.fail((*path, "options"), "two options have the same answer")
        else:
            bands = self.each(data, path, "bands", self.band)
            if [b.at_least for b in bands] != sorted({b.at_least for b in bands}):
                self.fail((*path, "bands"), "bands go up: each at_least above the one before")
            elif bands and bands[0].at_least != 0:
                self.fail((*path, "bands", 0), "the first band starts at_least 0")
        scored = [o.score for o in options] + [b.score for b in bands]
        if scored and (min(scored) != 0 or max(scored) < 1):
            self.fail(path, "scores start at 0 (absent) and go up to at least 1")
        at_most = None
        if "at_most" in data:
            at_most = self.field(data, path, "at_most", float)
            if options:
                self.fail((*path, "at_most"), "at_most bounds a number, not a choice")
        if key is None or text is None or not scored:
            return None
        return Question(key, text, tuple(options), tuple(bands), weight, at_most)

    def option(self, data: dict[str, Any], path: PathKey) -> Option | None:
        answer = self.field(data, path, "answer", str)
        score = self.score(data, path)
        return None if answer is None or score is None else Option(answer, score)

    def band(self, data: dict[str, Any], path: PathKey) -> Band | None:
        at_least = self.field(data, path, "at_least", float)
        score = self.score(data, path)
        return None if at_least is None or score is None else Band(at_least, score)

    def score(self, data: dict[str, Any], path: PathKey) -> int | None:
        score = self.field(data, path, "score", int)
        if isinstance(score, int) and not 0 <= score <= 10:
            self.fail((*path, "score"), "a score is between 0 and 10")
            return None
        return score  # type: ignore[no-any-return]

    def weight(self, data: dict[str, Any], path: PathKey) -> float:
        if "weight" not in data:
            return 1.0
        weight = self.field(data, path, "weight", float)
        if weight is not None and not 0 < weight <= 10:
            self.fail((*path, "weight"), "a weight is above 0 and at most 10")
        return weight if isinstance(weight, float) and 0 < weight <= 10 else 1.0


@lru_cache(maxsize=1)
def shipped() -> dict[tuple[str, int], Questionnaire]:
    """The questionnaires shipped with riskhub, by (code, version)."""
    out = {}
    for path in sorted(SHIPPED.glob("*.yaml")):
        try:
            found = parse(path.read_text(encoding="utf-8"))
        except QuestionnaireError as error:
            raise QuestionnaireError([f"{path.name}: {p}" for p in error.problems]) from None
        out[(found.code, found.version)] = found
    return out


def latest(code: str) -> Questionnaire | None:
    """The newest version of questionnaire ``code``, or None if there is none."""
    versions = [q for (c, _), q in shipped().items() if c == code]
    return max(versions, key=lambda q: q.version, default=None)
