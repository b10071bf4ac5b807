"""Synthetic CEFTA road traffic: paired export/import declarations with planted non-compliance.

Each truck crossing makes an export declaration at the office of exit and an
import (or transit) declaration at the office of entry across the border, which
refers to the export by its reference, as SEED pairs them. Non-compliance is
planted on the entry side, where duty is due (a ghost export has an export and no
entry at all), and each planted item carries its kind in ``known_outcome``;
items without a label are compliant. Risky traders are far more likely to cheat,
so there is something to learn. Everything is drawn with numpy from one seed,
in whole arrays, so a given seed always gives the same traffic, fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import polars as pl

from riskhub.reference.crossings import CROSSINGS, Office
from riskhub.reference.parties import CEFTA_PARTIES, EU_MEMBER_STATES
from riskhub.synth import catalogue as cat

DEFAULT_START = date(2026, 6, 1)
TRADERS_PER_PARTY = 600
BROKERS_PER_PARTY = 40
CARRIERS_PER_PARTY = 150
RISKY_TRADER_SHARE = 0.04
P_NONCOMPLIANT = {"ordinary": 0.015, "risky": 0.30}
TRANSIT_SHARE = 0.08
DOMESTIC_ORIGIN_SHARE = 0.5
EU_ORIGIN_SHARE = 0.2
AEO_SHARE = 0.08  # of each Party's ordinary traders
AEO_WITHDRAWN_SHARE = 0.05  # of authorisations, withdrawn while the traffic runs
_AEO_STREAM = 0xAE0  # a random stream of its own: adding AEOs leaves the traffic as it was


@dataclass(frozen=True, slots=True)
class TrafficSpec:
    days: int = 90
    seed: int = 1
    start: date = DEFAULT_START
    trucks_per_day: int = 400


def generate(spec: TrafficSpec) -> pl.DataFrame:
    """All declarations of the period as flat item rows (the ingest CSV layout)."""
    rng = np.random.default_rng(spec.seed)
    trips = _trips(rng, spec)
    items = _items(rng, trips)
    export_rows = _declaration_rows(trips, items, side="exit")
    import_rows = _declaration_rows(trips, items, side="entry")
    rows = pl.concat([export_rows, import_rows.filter(pl.col("_ghost").not_())], how="vertical")
    return rows.drop("_ghost").sort(["lodged_at", "party", "reference", "item_no"])


def generate_aeo(spec: TrafficSpec) -> pl.DataFrame:
    """AEO authorisations of the traders in ``generate(spec)``: party, trader, kind, validity.

    About 8% of each Party's ordinary traders hold one, never a risky trader, all
    granted before the traffic starts; a few are withdrawn during the period, so
    the date matters. Trader ids are those of the importers and exporters.
    """
    rng = np.random.default_rng([spec.seed, _AEO_STREAM])
    parties = np.unique(_OFFICE_PARTIES)
    ordinary = np.flatnonzero(~_is_risky(np.arange(TRADERS_PER_PARTY)))
    per_party = round(AEO_SHARE * ordinary.size)
    # A random permutation of the ordinary traders per Party, all Parties at once.
    chosen = ordinary[rng.random((parties.size, ordinary.size)).argsort(axis=1)[:, :per_party]]
    n = chosen.size
    start = np.datetime64(spec.start, "D")
    valid_from = start - rng.integers(1, 6 * 365, n).astype("timedelta64[D]")
    withdrawn = rng.random(n) < AEO_WITHDRAWN_SHARE
    ends = start + rng.integers(0, spec.days, n).astype("timedelta64[D]")
    frame = pl.DataFrame(
        {
            "party": np.repeat(parties, per_party),
            "_number": chosen.ravel(),
            "kind": _pick(rng, cat.AEO_KINDS, n),
            "valid_from": valid_from,
            "valid_to": pl.Series(np.where(withdrawn, ends, np.datetime64("NaT"))),
        }
    )
    return frame.select(
        "party",
        pl.format("{}{}", pl.col("party"), pl.col("_number") + _TRADER_ID_BASE).alias("trader"),
        "kind",
        pl.col("valid_from").cast(pl.Date),
        pl.col("valid_to").cast(pl.Date),
    ).sort("party", "trader")


def _pick(rng: np.random.Generator, table: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    names = np.array([name for name, _ in table])
    weights = np.array([w for _, w in table], dtype=float)
    return names[rng.choice(len(names), size=n, p=weights / weights.sum())]


def _trips(rng: np.random.Generator, spec: TrafficSpec) -> dict[str, np.ndarray]:
    """One entry per truck crossing: where, when, who, and whether it cheats and how."""
    per_day = rng.poisson(spec.trucks_per_day, spec.days)
    n = int(per_day.sum())
    weights = np.array([c.weight for c in CROSSINGS])
    crossing = rng.choice(len(CROSSINGS), size=n, p=weights / weights.sum())
    forward = rng.random(n) < 0.5
    side_a = np.array([_OFFICE_INDEX[c.a.code] for c in CROSSINGS])[crossing]
    side_b = np.array([_OFFICE_INDEX[c.b.code] for c in CROSSINGS])[crossing]
    exit_office = np.where(forward, side_a, side_b)
    entry_office = np.where(forward, side_b, side_a)
    start = np.datetime64(datetime.combine(spec.start, datetime.min.time()), "s")
    day = np.repeat(np.arange(spec.days), per_day)
    exit_time = (
        start
        + day * np.timedelta64(86400, "s")
        + rng.integers(6 * 3600, 20 * 3600, n).astype("timedelta64[s]")
    )
    crossing_time = rng.integers(1800, 8 * 3600, n).astype("timedelta64[s]")
    exporter = rng.integers(0, TRADERS_PER_PARTY, n)
    importer = rng.integers(0, TRADERS_PER_PARTY, n)
    risky = _is_risky(importer) | _is_risky(exporter)
    transit = rng.random(n) < TRANSIT_SHARE
    cheats = (
        rng.random(n) < np.where(risky, P_NONCOMPLIANT["risky"], P_NONCOMPLIANT["ordinary"])
    ) & ~transit
    kind = np.where(cheats, _pick(rng, cat.KINDS, n), "")
    return {
        "n": np.array([n]),
        "id": np.arange(n),
        "exit_office": exit_office,
        "entry_office": entry_office,
        "exit_time": exit_time,
        "entry_time": exit_time + crossing_time,
        "exporter": exporter,
        "importer": importer,
        "exit_broker": rng.integers(0, BROKERS_PER_PARTY, n),
        "entry_broker": rng.integers(0, BROKERS_PER_PARTY, n),
        "carrier": rng.integers(0, CARRIERS_PER_PARTY, n),
        "carrier_side": rng.random(n) < 0.5,  # whose haulier: exit or entry side
        "truck": rng.integers(1, 30, n),
        "transit": transit,
        "transit_to": _pick(rng, tuple((c, 1.0) for c in ("AT", "DE", "IT", "HU", "GR")), n),
        "kind": kind,
        "prearrival": rng.random(n) < 0.6,
        "lodge_shift": rng.integers(0, 6 * 3600, n).astype("timedelta64[s]"),
        "weighbridge": rng.random(n),
        "container": rng.random(n) < 0.1,
        "container_no": rng.integers(0, 10**6, n),
        "currency": _pick(rng, cat.CURRENCIES, n),
        "incoterm": _pick(rng, cat.INCOTERMS, n),
    }


def _items(rng: np.random.Generator, trips: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Goods items of each truck: true values, then what the entry side declares."""
    n_trips = int(trips["n"][0])
    per_trip = np.minimum(rng.geometric(0.45, n_trips), 12)
    trip = np.repeat(np.arange(n_trips), per_trip)
    first = np.concatenate([[0], np.cumsum(per_trip)[:-1]])
    item_no = np.arange(trip.size) - np.repeat(first, per_trip) + 1
    m = trip.size
    kind = trips["kind"][trip]
    lead = item_no == 1
    goods = cat.GOODS
    hs = np.array([g.hs for g in goods])
    good = rng.choice(len(goods), size=m, p=_normalised([g.weight for g in goods]))
    # Some kinds need a particular good on the first item to be possible at all.
    good = _force_goods(
        rng,
        good,
        lead & (kind == "misclassification"),
        [hs.tolist().index(h) for h in cat.LOOKALIKES],
    )
    good = _force_goods(
        rng,
        good,
        lead & (kind == "restricted_without_licence"),
        [i for i, g in enumerate(goods) if g.licence],
    )
    good = _force_goods(
        rng, good, lead & (kind == "sps_risk"), [i for i, g in enumerate(goods) if g.sps]
    )

    exit_party = _office_party(trips["exit_office"])[trip]
    roll = rng.random(m)
    origin = np.where(
        roll < DOMESTIC_ORIGIN_SHARE,
        exit_party,
        np.where(
            roll < DOMESTIC_ORIGIN_SHARE + EU_ORIGIN_SHARE,
            _pick(rng, cat.EU_ORIGINS, m),
            _pick(rng, cat.THIRD_ORIGINS, m),
        ),
    )
    false_origin = lead & (kind == "false_origin")
    origin = np.where(false_origin, _pick(rng, cat.THIRD_ORIGINS, m), origin)
    in_region = np.isin(origin, list(CEFTA_PARTIES) + list(EU_MEMBER_STATES))
    preferential = in_region & (rng.random(m) < 0.9)

    kg_typical = np.array([g.kg_per_item for g in goods])[good]
    net = np.round(
        kg_typical * rng.lognormal(0.0, 0.6, m) / np.sqrt(np.repeat(per_trip, per_trip)), 1
    )
    net = np.maximum(net, 0.5)
    gross = np.round(net * rng.uniform(1.02, 1.15, m), 1)
    value = np.round(
        net * np.array([g.eur_per_kg for g in goods])[good] * rng.lognormal(0.0, 0.25, m), 2
    )
    duty = np.where(preferential, 0.0, np.array([g.mfn_duty for g in goods])[good])
    lpco = _lpco(rng, goods, good, exit_party)

    # What the entry side declares: the truth, except where non-compliance is planted.
    affected = (kind != "") & (lead | (rng.random(m) < 0.4))
    d_hs, d_good = hs[good].copy(), good.copy()
    misclass = affected & (kind == "misclassification") & np.isin(hs[good], list(cat.LOOKALIKES))
    lookalike = np.array([hs.tolist().index(cat.LOOKALIKES.get(h, h)) for h in hs])
    d_good = np.where(misclass, lookalike[good], d_good)
    d_hs = hs[d_good]
    d_origin = np.where(false_origin, exit_party, origin)
    d_pref = np.where(false_origin, True, preferential)
    d_duty = np.where(d_pref, 0.0, np.array([g.mfn_duty for g in goods])[d_good])
    under_value = affected & (kind == "undervaluation")
    d_value = np.where(under_value, np.round(value * rng.uniform(0.25, 0.6, m), 2), value)
    under_mass = affected & (kind == "under_declared_mass")
    mass_factor = np.where(under_mass, rng.uniform(0.55, 0.8, m), 1.0)
    d_net, d_gross = np.round(net * mass_factor, 1), np.round(gross * mass_factor, 1)
    missing_doc = lead & np.isin(kind, ["restricted_without_licence", "sps_risk"])
    d_lpco = np.where(missing_doc, "", lpco)
    label = np.select(
        [misclass, false_origin, under_value, under_mass, missing_doc, kind == "ghost_export"],
        [
            "misclassification",
            "false_origin",
            "undervaluation",
            "under_declared_mass",
            kind,
            "ghost_export",
        ],
        default="",
    )
    revenue = _revenue(
        goods, good, d_good, value, d_value, net, d_net, duty, d_duty,
        misclass=misclass, false_origin=false_origin, under_value=under_value,
        under_mass=under_mass,
    )  # fmt: skip
    kg_per_unit = np.array([g.kg_per_unit or np.nan for g in goods])
    units = np.array([g.unit or "" for g in goods])
    return {
        "trip": trip,
        "item_no": item_no,
        "hs": hs[good],
        "good": good,
        "origin": origin,
        "preferential": preferential,
        "net": net,
        "gross": gross,
        "value": value,
        "duty": duty,
        "lpco": lpco,
        "qty": np.round(net / kg_per_unit[good], 0),
        "unit": units[good],
        "d_hs": d_hs,
        "d_good": d_good,
        "d_origin": d_origin,
        "d_pref": d_pref,
        "d_duty": d_duty,
        "d_value": d_value,
        "d_net": d_net,
        "d_gross": d_gross,
        "d_lpco": d_lpco,
        "d_qty": np.round(d_net / kg_per_unit[good], 0),
        "label": label,
        "revenue": revenue,
    }


def _revenue(
    goods: tuple[cat.Good, ...], good: np.ndarray, d_good: np.ndarray,
    value: np.ndarray, d_value: np.ndarray, net: np.ndarray, d_net: np.ndarray,
    duty: np.ndarray, d_duty: np.ndarray, *, misclass: np.ndarray, false_origin: np.ndarray,
    under_value: np.ndarray, under_mass: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Duty a control recovers from each planted item where money is at stake; NaN elsewhere."""
    mfn = np.array([g.mfn_duty for g in goods])
    undeclared_share = (net - d_net) / net  # net is at least 0.5 kg
    recovered = np.select(
        [misclass, false_origin, under_value, under_mass],
        [
            # At MFN rates, so every planted misclassification carries money even
            # under a preference: the look-alike codes differ by a few points.
            value * (mfn[good] - mfn[d_good]) / 100,
            # The preference claimed on the false origin, lost: the full duty.
            value * (duty - d_duty) / 100,
            (value - d_value) * d_duty / 100,
            value * undeclared_share * d_duty / 100,
        ],
        default=np.nan,
    )
    return np.asarray(np.round(recovered, 2))


def _declaration_rows(
    trips: dict[str, np.ndarray], items: dict[str, np.ndarray], *, side: str
) -> pl.DataFrame:
    """Item rows of the export declarations (side 'exit') or entry declarations ('entry')."""
    entry = side == "entry"
    trip = items["trip"]
    office = trips[f"{side}_office"][trip]
    party = _office_party(office)
    other_party = _office_party(trips["entry_office" if not entry else "exit_office"][trip])
    transit = trips["transit"][trip] & entry
    ghost = trips["kind"][trip] == "ghost_export"
    codes = np.array([o.code for o in _OFFICES])
    weighbridge_ok = np.array([o.has_weighbridge for o in _OFFICES])[office]
    p = "d_" if entry else ""
    description = np.array([g.description for g in cat.GOODS])[items["good"]]
    direction = np.where(transit, "TRANSIT", "IMPORT") if entry else np.full(trip.size, "EXPORT")
    lodged = (
        trips["entry_time"]
        - np.where(trips["prearrival"], trips["lodge_shift"], -trips["lodge_shift"] // 3)
        if entry
        else trips["exit_time"] - np.timedelta64(1800, "s")
    )[trip]
    arrival = (trips["entry_time"] if entry else trips["exit_time"])[trip]
    exit_party = _office_party(trips["exit_office"])[trip]
    entry_party = _office_party(trips["entry_office"])[trip]
    carrier_party = np.where(trips["carrier_side"][trip], exit_party, entry_party)
    frame = pl.DataFrame(
        {
            "party": party,
            "_kind": np.where(transit, "T", "I") if entry else np.full(trip.size, "E"),
            "_trip": trips["id"][trip],
            "direction": direction,
            "procedure_code": _text(
                np.where(transit, "", "4000") if entry else np.full(trip.size, "1000")
            ),
            "office": codes[office],
            "lodged_at": lodged.astype("datetime64[us]"),
            "arrival_at": arrival.astype("datetime64[us]"),
            "_exit_office": codes[trips["exit_office"][trip]],
            "_declarant": trips["entry_broker" if entry else "exit_broker"][trip],
            "_exporter": trips["exporter"][trip],
            "_importer": trips["importer"][trip],
            "exit_party": exit_party,
            "entry_party": entry_party,
            "dispatch_country": exit_party,
            "destination_country": np.where(transit, trips["transit_to"][trip], entry_party),
            "transport_mode": np.full(trip.size, 3),
            "_carrier_party": carrier_party,
            "_carrier": trips["carrier"][trip],
            "_truck": trips["truck"][trip],
            "_container": trips["container"][trip],
            "_container_no": trips["container_no"][trip],
            "incoterm": trips["incoterm"][trip],
            "invoice_currency": trips["currency"][trip],
            "_weighbridge": (trips["weighbridge"][trip] < 0.85) & weighbridge_ok & entry,
            "item_no": items["item_no"],
            "hs_code": items[p + "hs"],
            "description": description,
            "origin_country": items[p + "origin"],
            "preferential_origin": items[p + "pref" if entry else "preferential"],
            "net_mass": items[p + "net"],
            "gross_mass": items[p + "gross"],
            "_true_gross": items["gross"],
            "quantity": pl.Series(items[p + "qty"]).fill_nan(None),
            "supplementary_unit": _text(items["unit"]),
            "customs_value_eur": items[p + "value"],
            "duty_rate": items[p + "duty"] if entry else np.zeros(trip.size),
            "lpco_refs": _text(items[p + "lpco"]),
            "known_outcome": _text(
                np.where(ghost, "", items["label"])
                if entry
                else np.where(ghost, "ghost_export", "")
            ),
            # Money is at stake on the entry side only, where the duty is due.
            "known_revenue_eur": pl.Series(
                items["revenue"] if entry else np.full(trip.size, np.nan)
            ).fill_nan(None),
            "_ghost": ghost & entry,
            "_other_party": other_party,
        },
        strict=False,
    )

    def trader(party_column: str, number_column: str) -> pl.Expr:
        return pl.format("{}{}", pl.col(party_column), pl.col(number_column) + _TRADER_ID_BASE)

    ref = pl.format(
        "{}-{}-{}", pl.col("office"), pl.col("_kind"), pl.col("_trip").cast(pl.String).str.zfill(8)
    )
    group = ["party", "office", "_trip"]
    frame = frame.with_columns(
        reference=ref,
        declarant=pl.format("{}B{}", pl.col("party"), (pl.col("_declarant") + 10_000)),
        exporter=trader("exit_party", "_exporter"),
        importer=pl.when(pl.col("direction") == "TRANSIT")
        .then(None)
        .otherwise(trader("entry_party", "_importer")),
        seller=trader("exit_party", "_exporter"),
        carrier=pl.format("{}H{}", pl.col("_carrier_party"), pl.col("_carrier") + 1000),
        vehicle_registration=pl.format(
            "{}-{}-{}",
            pl.col("_carrier_party"),
            pl.col("_carrier") + 1000,
            pl.col("_truck").cast(pl.String).str.zfill(2),
        ),
        container_ids=pl.when(pl.col("_container")).then(
            pl.format(
                "{}U{}",
                pl.col("_carrier_party").replace_strict(_CONTAINER_OWNERS, default="RHU"),
                pl.col("_container_no").cast(pl.String).str.zfill(7),
            )
        ),
        export_reference=pl.format(
            "{}-E-{}", pl.col("_exit_office"), pl.col("_trip").cast(pl.String).str.zfill(8)
        )
        if entry
        else pl.lit(None, pl.String),
        total_gross_mass=pl.col("gross_mass").sum().over(group).round(1),
        weighbridge_mass=pl.when(pl.col("_weighbridge")).then(
            (
                pl.col("_true_gross").sum().over(group)
                * (1 + ((pl.col("_trip") * 7919) % 201 - 100) / 10_000)
            ).round(0)
        ),
    )
    return frame.select(*_OUTPUT_COLUMNS, "_ghost")


_TRADER_ID_BASE = 100_000_000  # trader 17 of RS is RS100000017
_OFFICES: tuple[Office, ...] = tuple({o.code: o for c in CROSSINGS for o in (c.a, c.b)}.values())
_OFFICE_INDEX = {o.code: i for i, o in enumerate(_OFFICES)}
_OFFICE_PARTIES = np.array([o.party for o in _OFFICES])
_CONTAINER_OWNERS = {"RS": "RSB", "MK": "MKD", "AL": "ALB", "GR": "GRE", "HU": "HUN"}
_OUTPUT_COLUMNS = (
    "party",
    "reference",
    "direction",
    "procedure_code",
    "office",
    "lodged_at",
    "arrival_at",
    "declarant",
    "importer",
    "exporter",
    "seller",
    "carrier",
    "dispatch_country",
    "destination_country",
    "transport_mode",
    "vehicle_registration",
    "container_ids",
    "incoterm",
    "invoice_currency",
    "total_gross_mass",
    "weighbridge_mass",
    "export_reference",
    "item_no",
    "hs_code",
    "description",
    "origin_country",
    "preferential_origin",
    "net_mass",
    "gross_mass",
    "quantity",
    "supplementary_unit",
    "customs_value_eur",
    "duty_rate",
    "lpco_refs",
    "known_outcome",
    "known_revenue_eur",
)


def _office_party(index: np.ndarray) -> np.ndarray:
    return np.asarray(_OFFICE_PARTIES[index])


def _is_risky(trader: np.ndarray) -> np.ndarray:
    # A fixed scatter of trader numbers, so the same traders are risky in every run.
    return ((trader * 7919) % 1000) < RISKY_TRADER_SHARE * 1000


def _text(values: np.ndarray) -> pl.Series:
    """A numpy text array as a polars string column, empty strings becoming nulls."""
    return pl.Series([v or None for v in values.astype(str).tolist()], dtype=pl.String)


def _normalised(weights: list[float]) -> np.ndarray:
    w = np.array(weights, dtype=float)
    return np.asarray(w / w.sum())


def _force_goods(
    rng: np.random.Generator, good: np.ndarray, where: np.ndarray, choices: list[int]
) -> np.ndarray:
    return np.where(where, np.array(choices)[rng.integers(0, len(choices), good.size)], good)


def _lpco(
    rng: np.random.Generator, goods: tuple[cat.Good, ...], good: np.ndarray, party: np.ndarray
) -> np.ndarray:
    """Licences for restricted goods and health certificates for SPS goods."""
    number = rng.integers(0, 10**6, good.size).astype(str)
    kind = np.array(
        [
            "LIC" if g.licence else ("PHY" if g.sps == "phyto" else "VET" if g.sps else "")
            for g in goods
        ]
    )[good]
    refs = np.char.add(
        np.char.add(np.char.add(kind, "-"), party.astype(str)),
        np.char.add("-", np.char.zfill(number, 6)),
    )
    return np.where(kind == "", "", refs)
