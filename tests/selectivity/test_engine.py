"""The engine's two ways of finding fired profiles agree, on the whole starter library."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from riskhub.profiles.compiled import CompiledProfile, compile_profile
from riskhub.profiles.document import read_library
from riskhub.profiles.history import with_history
from riskhub.selectivity import engine
from riskhub.synth.generator import TrafficSpec, generate

LIBRARY = Path(__file__).parents[2] / "src" / "riskhub" / "profiles" / "library"


def library() -> list[CompiledProfile]:
    out = []
    for file in sorted(LIBRARY.glob("*.yaml")):
        for read in read_library(file.read_text(encoding="utf-8")):
            assert read.document is not None and read.criteria is not None, read.problems
            out.append(
                compile_profile(
                    id=len(out),
                    owner="XS",
                    version=1,
                    document=read.document,
                    criteria=read.criteria,
                    lists={},
                )
            )
    return out


def test_row_by_row_and_polars_find_the_same_profiles(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = with_history(generate(TrafficSpec(days=20, trucks_per_day=200)))
    profiles = library()
    monkeypatch.setattr(engine, "SMALL_FRAME", 0)
    by_polars = engine.fired(frame, profiles)
    monkeypatch.setattr(engine, "SMALL_FRAME", 10**9)
    by_rows = engine.fired(frame, profiles)
    assert by_polars.height == by_rows.height > 1000
    assert by_polars.equals(by_rows)
    # Not trivially equal: plenty of declarations have fired profiles.
    assert by_polars.filter(pl.col("fired").list.len() > 0).height > 100


def test_text_tests_on_scope_columns_work_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Scope columns become categories in batches; 'startswith' on them must still read text.
    read = read_library(
        "code: RS-OFFICE-P\ntitle: Offices starting RS-P\nthreat: other\n"
        "criteria: {office: {startswith: RS-P}, dispatch_country: {startswith: M}}\n"
        "action: {channel: yellow}\nweight: 5\nscope: {parties: [RS]}\n"
    )[0]
    assert read.document is not None and read.criteria is not None, read.problems
    profile = compile_profile(
        id=1, owner="RS", version=1, document=read.document, criteria=read.criteria, lists={}
    )
    frame = with_history(generate(TrafficSpec(days=3, trucks_per_day=100)))
    monkeypatch.setattr(engine, "SMALL_FRAME", 0)
    by_polars = engine.fired(frame, [profile])
    monkeypatch.setattr(engine, "SMALL_FRAME", 10**9)
    assert by_polars.equals(engine.fired(frame, [profile]))
    assert by_polars.filter(pl.col("fired").list.len() > 0).height > 0
