"""The starter library of common CEFTA risk profiles: it reads, compiles and runs on traffic."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

import polars as pl
import pytest
import yaml

from riskhub.matching.fields import with_seed
from riskhub.profiles.criteria import tree as t
from riskhub.profiles.criteria.backends import PolarsBackend
from riskhub.profiles.criteria.vocabulary import HISTORY_FIELDS, FieldType
from riskhub.profiles.document import Channel, ProfileDocument, read_library, read_profile
from riskhub.selectivity.engine import with_exchange_fields
from riskhub.synth.generator import TrafficSpec, generate

LIBRARY = resources.files("riskhub.profiles") / "library"
FILES = (
    "undervaluation.yaml",
    "misclassification.yaml",
    "origin.yaml",
    "mass.yaml",
    "lpco.yaml",
    "sps.yaml",
    "ipr.yaml",
    "excise.yaml",
    "transit.yaml",
    "trader.yaml",
    "seed.yaml",
    "lpco_registry.yaml",
)
THREATS_COVERED = {
    "undervaluation",
    "misclassification",
    "origin",
    "mass",
    "lpco",
    "phytosanitary",
    "veterinary",
    "ipr",
    "excise",
}


def _files() -> list[Traversable]:
    return sorted((f for f in LIBRARY.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)


@pytest.fixture(scope="module")
def profiles() -> list[tuple[str, ProfileDocument, t.Node, object]]:
    """Every profile of the library: file name, document, criteria tree, raw mapping."""
    out = []
    for file in _files():
        for read in read_library(file.read_text(encoding="utf-8"), lists={}):
            assert read.ok, f"{file.name}: " + "; ".join(str(p) for p in read.problems)
            assert read.document is not None and read.criteria is not None
            out.append((file.name, read.document, read.criteria, read.raw))
    return out


@pytest.fixture(scope="module")
def traffic() -> pl.DataFrame:
    """Five days of synthetic traffic with the history and SEED fields the profiles read."""
    frame = generate(TrafficSpec(days=5))
    exports = frame.filter(pl.col("direction") == "EXPORT")
    try:
        from riskhub.profiles.history import with_history
    except ImportError:  # history not available: the history fields are unknown
        return frame.with_columns(
            pl.lit(None, pl.Boolean if f.type is FieldType.BOOL else pl.Float64).alias(f.name)
            for f in HISTORY_FIELDS
        )
    # The LPCO registry fields stay unknown: only a decision checks LPCOs.
    return with_exchange_fields(with_seed(with_history(frame), exports))


def test_every_threat_area_has_its_file() -> None:
    assert sorted(f.name for f in _files()) == sorted(FILES)


def test_every_file_reads_without_problems() -> None:
    for file in _files():
        reads = read_library(file.read_text(encoding="utf-8"), lists={})
        assert reads, file.name
        problems = [f"{file.name} {p}" for r in reads for p in r.problems]
        assert problems == []


def test_enough_profiles_with_unique_codes(profiles: list) -> None:
    codes = [document.code for _, document, _, _ in profiles]
    assert len(codes) >= 25
    assert len(set(codes)) == len(codes), sorted(c for c in codes if codes.count(c) > 1)


def test_every_threat_category_is_covered(profiles: list) -> None:
    threats = {str(document.threat) for _, document, _, _ in profiles}
    assert threats >= THREATS_COVERED, THREATS_COVERED - threats


def test_profiles_are_common_and_complete(profiles: list) -> None:
    """Shared across all CEFTA Parties, with an officer's checklist and a reason."""
    for name, document, _, _ in profiles:
        where = f"{name} {document.code}"
        assert document.code.startswith("CEFTA-"), where
        assert document.scope.parties == [] and document.scope.offices == [], where
        assert document.distribution.level == "cefta", where
        assert document.distribution.tlp == "GREEN", where
        assert 2 <= len(document.action.checklist) <= 5, where
        assert len(document.description) >= 100, where
        assert document.valid_to is None, where


def test_not_everything_is_red(profiles: list) -> None:
    channels = [document.action.channel for _, document, _, _ in profiles]
    assert {Channel.RED, Channel.YELLOW, Channel.BLUE} <= set(channels)
    assert channels.count(Channel.RED) < len(channels) * 0.6


def test_no_named_lists(profiles: list) -> None:
    """Named lists belong to one Party; a common profile cannot rely on them."""
    for _, document, criteria, _ in profiles:
        assert not any(isinstance(n, t.InList) for n in t.walk(criteria)), document.code


def test_each_profile_reads_alone_as_the_service_stores_it(profiles: list) -> None:
    """Importing a library stores each profile as its own YAML document."""
    for _, document, _, raw in profiles:
        text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
        read = read_profile(text, lists={})
        assert read.ok, [str(p) for p in read.problems]
        assert read.document == document


def test_each_profile_compiles_and_runs_on_traffic(profiles: list, traffic: pl.DataFrame) -> None:
    backend = PolarsBackend()
    hits = {}
    for _, document, criteria, _ in profiles:
        expr = backend.compile(criteria, lists={})
        if document.direction != "ANY":
            expr &= pl.col("direction") == document.direction
        result = traffic.select(expr.alias("hit")).to_series()
        assert result.dtype == pl.Boolean and result.len() == traffic.height, document.code
        assert result.null_count() == 0, document.code
        hits[document.code] = result
    # Some profiles do find what was planted in the demo traffic, and nothing hits everything.
    planted = traffic.select(pl.col("known_outcome").is_not_null()).to_series()
    kinds_caught = {
        kind
        for result in hits.values()
        for kind in traffic.filter(result & planted)["known_outcome"].unique().to_list()
    }
    assert len(kinds_caught) >= 4, kinds_caught
    assert all(r.sum() < traffic.height * 0.2 for r in hits.values())


def test_seed_profiles_find_what_differs_from_the_export(
    profiles: list, traffic: pl.DataFrame
) -> None:
    """On generated traffic, each planted gap between exit and entry, and nothing compliant."""
    backend = PolarsBackend()
    caught: dict[str, set[str]] = {}
    for _, document, criteria, _ in profiles:
        if not document.code.startswith("CEFTA-SEED-"):
            continue
        hit = backend.compile(criteria, lists={}) & (pl.col("direction") == "IMPORT")
        rows = traffic.filter(hit).group_by("reference").agg(pl.col("known_outcome").drop_nulls())
        caught[document.code] = {o for outcomes in rows["known_outcome"] for o in outcomes}
        assert all(outcomes.len() for outcomes in rows["known_outcome"]), document.code
    planted = (
        traffic.filter(pl.col("direction") == "IMPORT")
        .group_by("reference")
        .agg(pl.col("known_outcome").drop_nulls().first())
    )
    for code, kinds in {
        "CEFTA-SEED-001": {"undervaluation", "under_declared_mass", "misclassification"},
        "CEFTA-SEED-002": {"false_origin"},
    }.items():
        for kind in kinds:
            wanted = set(planted.filter(pl.col("known_outcome") == kind)["reference"])
            hit = traffic.filter(
                backend.compile(next(c for _, d, c, _ in profiles if d.code == code), lists={})
            )["reference"]
            assert wanted and wanted <= set(hit), (code, kind)
        assert kinds <= caught[code], (code, caught[code])
