"""A risk profile as an analyst writes it: the YAML/JSON document and how it is read.

``read_profile`` turns the text into a checked ``ProfileDocument`` and its
criteria tree, or a list of problems that each name the line and field, the
way pySigma reports a bad rule. The same reader serves the CLI, the API and
the starter library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from riskhub.access.distribution import Distribution, Tlp
from riskhub.profiles.criteria import parser, validators
from riskhub.profiles.criteria.source import PathKey, Source, SourceError, load
from riskhub.profiles.criteria.tree import Loc, Node
from riskhub.profiles.criteria.validators import Problem
from riskhub.reference.parties import CEFTA_PARTIES, EU_MEMBER_STATES

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9._-]{2,39}$"
AGENCIES = ("customs", "phytosanitary", "veterinary", "market_surveillance")
Agency = Literal["customs", "phytosanitary", "veterinary", "market_surveillance"]


class Channel(StrEnum):
    """Control channels, least to most intrusive at the border."""

    GREEN = "green"  # release
    BLUE = "blue"  # release now, post-clearance audit later
    YELLOW = "yellow"  # documentary check
    RED = "red"  # physical inspection


# How strongly a channel holds the goods: the strictest action wins.
SEVERITY = {Channel.GREEN: 0, Channel.BLUE: 1, Channel.YELLOW: 2, Channel.RED: 3}


class Threat(StrEnum):
    UNDERVALUATION = "undervaluation"
    MISCLASSIFICATION = "misclassification"
    ORIGIN = "origin"
    MASS = "mass"
    LPCO = "lpco"
    PHYTOSANITARY = "phytosanitary"
    VETERINARY = "veterinary"
    IPR = "ipr"
    EXCISE = "excise"
    TRANSIT = "transit"
    SECURITY = "security"
    OTHER = "other"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Action(_Strict):
    channel: Literal[Channel.RED, Channel.YELLOW, Channel.BLUE]
    agencies: list[Agency] = Field(default_factory=lambda: list[Agency](["customs"]))
    checklist: list[str] = Field(default_factory=list, max_length=30)


class Scope(_Strict):
    """Where the profile applies; no Parties means the owner's own declarations."""

    parties: list[str] = Field(default_factory=list)
    offices: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_parties(self) -> Scope:
        unknown = [p for p in self.parties if p not in CEFTA_PARTIES and p not in EU_MEMBER_STATES]
        if unknown:
            raise ValueError(f"unknown Party {unknown[0]!r}")
        return self


class SharingIn(_Strict):
    level: Distribution = Distribution.OWN
    tlp: Tlp = Tlp.AMBER
    group: str | None = None


class ProfileDocument(_Strict):
    """Everything in a profile file except the criteria, which have their own reader."""

    code: str = Field(pattern=CODE_PATTERN)
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(default="", max_length=4000)
    threat: Threat
    direction: Literal["IMPORT", "EXPORT", "TRANSIT", "ANY"] = "IMPORT"
    scope: Scope = Field(default_factory=Scope)
    criteria: dict[str, Any]
    action: Action
    weight: int = Field(ge=1, le=100, description="added to the declaration's risk score")
    select_share: float = Field(
        default=1.0, gt=0, le=1, description="share of matching declarations sent to control"
    )
    valid_from: date | None = None
    valid_to: date | None = None
    distribution: SharingIn = Field(default_factory=SharingIn)

    @model_validator(mode="after")
    def _dates_in_order(self) -> ProfileDocument:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


@dataclass
class ReadProfile:
    """A profile file as read: the document and tree when good, else the problems."""

    document: ProfileDocument | None = None
    criteria: Node | None = None
    problems: list[Problem] = field(default_factory=list)
    raw: Any = None  # the profile's own part of the file, as parsed
    whole_file: bool = False  # the file holds this one profile only (not a list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.document is not None and self.criteria is not None


def read_profile(text: str, *, lists: dict[str, str] | None = None) -> ReadProfile:
    """Read one profile; ``lists`` maps the named lists the author can see to their kinds.

    Without ``lists`` (checking a file away from the hub) named lists are not checked.
    """
    try:
        source = load(text)
    except SourceError as error:
        return ReadProfile(problems=[Problem(error.loc, error.message)])
    if not isinstance(source.data, dict):
        return ReadProfile(problems=[Problem(Loc(1, 1, ""), "a profile is a mapping of keys")])
    return _read(source, (), lists)


def _read(source: Source, root: PathKey, lists: dict[str, str] | None) -> ReadProfile:
    problems: list[Problem] = []
    document = None
    try:
        document = ProfileDocument.model_validate(_at(source.data, root))
    except ValidationError as error:
        for err in error.errors():
            path = (*root, *err["loc"])
            problems.append(Problem(source.loc(path), _plain(err)))
    tree, shape = parser.parse_all(source, (*root, "criteria"))
    problems.extend(Problem(e.loc, e.message) for e in shape)
    if tree is not None:
        problems.extend(validators.validate(tree, lists))
    problems.sort(key=lambda p: (p.loc.line, p.loc.column))
    if problems:
        return ReadProfile(problems=problems)
    return ReadProfile(document, tree, raw=_at(source.data, root), whole_file=not root)


def _at(data: Any, path: PathKey) -> Any:
    for key in path:
        data = data[key]
    return data


def _plain(err: Any) -> str:
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"unknown key '{err['loc'][-1]}'"
    if err["type"] == "missing":
        return f"'{err['loc'][-1]}' is required"
    if err["type"] == "string_pattern_mismatch" and err["loc"][-1] == "code":
        return "a code is 3 to 40 capital letters, digits, '.', '_' or '-', e.g. RS-UV-001"
    return message


def read_library(text: str, *, lists: dict[str, str] | None = None) -> list[ReadProfile]:
    """Read a file of several profiles: a YAML list, or one profile."""
    try:
        source = load(text)
    except SourceError as error:
        return [ReadProfile(problems=[Problem(error.loc, error.message)])]
    if isinstance(source.data, dict):
        return [_read(source, (), lists)]
    if not isinstance(source.data, list) or not source.data:
        return [ReadProfile(problems=[Problem(Loc(1, 1, ""), "expected profiles")])]
    out = []
    for index, item in enumerate(source.data):
        if not isinstance(item, dict):
            problem = Problem(source.loc((index,)), "each profile is a mapping of keys")
            out.append(ReadProfile(problems=[problem]))
        else:
            out.append(_read(source, (index,), lists))
    return out
