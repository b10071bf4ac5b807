"""The traffic generator: deterministic, valid, paired across borders, with every planted kind."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from riskhub.declarations.readers import reader_for
from riskhub.declarations.validation import validate
from riskhub.synth import catalogue
from riskhub.synth.generator import TrafficSpec, _is_risky, generate, generate_aeo
from riskhub.synth.writer import write_traffic

SPEC = TrafficSpec(days=20, seed=5, trucks_per_day=250)


@pytest.fixture(scope="module")
def traffic() -> pl.DataFrame:
    return generate(SPEC)


def test_same_seed_same_traffic_other_seed_other_traffic(traffic: pl.DataFrame) -> None:
    assert generate(SPEC).equals(traffic)
    other = generate(TrafficSpec(days=20, seed=6, trucks_per_day=250))
    assert not other.equals(traffic)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_every_generated_row_passes_validation(
    traffic: pl.DataFrame, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"t{suffix}"
    write_traffic(traffic, path)
    batch = validate(reader_for(path).read(path), now=datetime(2026, 11, 27, tzinfo=UTC))
    assert batch.problems.height == 0, batch.problems.head()
    assert batch.accepted.height == traffic.height
    assert batch.declarations == traffic.select("party", "reference").n_unique()


def test_entries_refer_to_exports_across_the_border(traffic: pl.DataFrame) -> None:
    decls = traffic.unique(["party", "reference"])
    exports = decls.filter(pl.col("direction") == "EXPORT")
    entries = decls.filter(pl.col("direction") != "EXPORT")
    assert (
        entries.get_column("export_reference")
        .is_in(exports.get_column("reference").implode())
        .all()
    )
    pairs = entries.join(exports, left_on="export_reference", right_on="reference", suffix="_exit")
    assert (pairs.get_column("party") != pairs.get_column("party_exit")).all()
    assert (pairs.get_column("arrival_at") > pairs.get_column("arrival_at_exit")).all()
    ghosts = exports.filter(pl.col("known_outcome") == "ghost_export")
    assert ghosts.height > 0
    assert (
        not ghosts.get_column("reference")
        .is_in(entries.get_column("export_reference").implode())
        .any()
    )


def test_all_planted_kinds_appear_and_show_in_the_data(traffic: pl.DataFrame) -> None:
    kinds = set(traffic.get_column("known_outcome").drop_nulls().unique())
    assert kinds == {name for name, _ in catalogue.KINDS}
    items = traffic.filter(pl.col("direction") == "IMPORT")
    exports = traffic.filter(pl.col("direction") == "EXPORT").select(
        pl.col("reference").alias("export_reference"), "item_no",
        pl.col("customs_value_eur").alias("exit_value"), pl.col("hs_code").alias("exit_hs"),
        pl.col("origin_country").alias("exit_origin"),
    )  # fmt: skip
    paired = items.join(exports, on=["export_reference", "item_no"])
    under = paired.filter(pl.col("known_outcome") == "undervaluation")
    assert (under.get_column("customs_value_eur") < 0.61 * under.get_column("exit_value")).all()
    misc = paired.filter(pl.col("known_outcome") == "misclassification")
    assert (misc.get_column("hs_code") != misc.get_column("exit_hs")).all()
    origin = paired.filter(pl.col("known_outcome") == "false_origin")
    assert (origin.get_column("origin_country") != origin.get_column("exit_origin")).all()
    assert origin.get_column("preferential_origin").all()
    weighed = items.filter(
        (pl.col("known_outcome") == "under_declared_mass")
        & pl.col("weighbridge_mass").is_not_null()
    )
    assert weighed.height > 0
    assert (weighed.get_column("weighbridge_mass") > weighed.get_column("total_gross_mass")).all()
    missing = items.filter(
        pl.col("known_outcome").is_in(["restricted_without_licence", "sps_risk"])
    )
    assert missing.get_column("lpco_refs").is_null().all()


def test_a_million_items_fit_the_generator(traffic: pl.DataFrame) -> None:
    # Volume scales with trucks per day: ~2.2 items per declaration, two declarations per truck.
    per_truck = traffic.height / (SPEC.days * SPEC.trucks_per_day)
    assert 3.5 < per_truck < 5.5


MONEY_KINDS = {"undervaluation", "misclassification", "false_origin", "under_declared_mass"}


def test_revenue_is_set_on_planted_money_kinds_only(traffic: pl.DataFrame) -> None:
    with_revenue = traffic.filter(pl.col("known_revenue_eur").is_not_null())
    assert set(with_revenue.get_column("known_outcome").unique()) == MONEY_KINDS
    money = traffic.filter(pl.col("known_outcome").is_in(sorted(MONEY_KINDS)))
    assert money.get_column("known_revenue_eur").is_not_null().all()
    assert (money.get_column("known_revenue_eur") >= 0).all()
    assert (money.get_column("direction") == "IMPORT").all()
    # Every planted misclassification and most false origins recover something.
    by_kind = money.group_by("known_outcome").agg(
        (pl.col("known_revenue_eur") > 0).mean().alias("paying")
    )
    paying = dict(by_kind.iter_rows())
    assert paying["misclassification"] == 1.0
    assert paying["false_origin"] > 0.5
    assert paying["undervaluation"] > 0 and paying["under_declared_mass"] > 0


def test_revenue_is_the_duty_on_what_was_hidden(traffic: pl.DataFrame) -> None:
    items = traffic.filter(pl.col("direction") == "IMPORT")
    exports = traffic.filter(pl.col("direction") == "EXPORT").select(
        pl.col("reference").alias("export_reference"), "item_no",
        pl.col("customs_value_eur").alias("exit_value"), pl.col("net_mass").alias("exit_net"),
    )  # fmt: skip
    paired = items.join(exports, on=["export_reference", "item_no"])
    under = paired.filter(pl.col("known_outcome") == "undervaluation")
    hidden = (pl.col("exit_value") - pl.col("customs_value_eur")) * pl.col("duty_rate") / 100
    assert under.select((pl.col("known_revenue_eur") - hidden).abs().max()).item() < 0.011
    mass = paired.filter(pl.col("known_outcome") == "under_declared_mass")
    undeclared = (
        pl.col("customs_value_eur")
        * (pl.col("exit_net") - pl.col("net_mass"))
        / pl.col("exit_net")
        * pl.col("duty_rate")
        / 100
    )
    assert mass.select((pl.col("known_revenue_eur") - undeclared).abs().max()).item() < 0.011


def test_revenue_is_deterministic_from_the_seed(traffic: pl.DataFrame) -> None:
    again = generate(SPEC).get_column("known_revenue_eur")
    assert again.equals(traffic.get_column("known_revenue_eur"))
    assert traffic.get_column("known_revenue_eur").drop_nulls().sum() > 0


def test_aeo_holders_are_ordinary_traders_of_the_traffic(traffic: pl.DataFrame) -> None:
    aeo = generate_aeo(SPEC)
    assert aeo.equals(generate_aeo(SPEC))
    assert not aeo.equals(generate_aeo(TrafficSpec(days=20, seed=6, trucks_per_day=250)))
    assert aeo.columns == ["party", "trader", "kind", "valid_from", "valid_to"]
    numbers = aeo.get_column("trader").str.slice(2).cast(pl.Int64) - 100_000_000
    assert not _is_risky(numbers.to_numpy()).any()
    assert (aeo.get_column("trader").str.slice(0, 2) == aeo.get_column("party")).all()
    assert set(aeo.get_column("kind")) == {"AEOC", "AEOS", "AEOF"}
    assert aeo.select(["party", "trader", "kind"]).is_unique().all()
    assert (aeo.get_column("valid_from") < SPEC.start).all()
    ended = aeo.filter(pl.col("valid_to").is_not_null())
    assert (ended.get_column("valid_to") >= ended.get_column("valid_from")).all()
    # About 8% of each Party's ordinary traders (600 traders, 4% of them risky).
    per_party = aeo.group_by("party").len().get_column("len")
    assert per_party.min() == per_party.max() == round(0.08 * 600 * 0.96)
    # The ids are the importers' and exporters' own: written alike, and many of the
    # holders trade in these few days (quiet Parties' traders need longer to show up).
    traders = pl.concat([traffic.get_column("importer"), traffic.get_column("exporter")])
    traders = traders.drop_nulls().unique()
    same_form = r"^[A-Z]{2}100000\d{3}$"
    assert traders.str.contains(same_form).all() and aeo["trader"].str.contains(same_form).all()
    seen = aeo.get_column("trader").is_in(traders.implode()).mean()
    assert seen is not None and seen > 0.5
