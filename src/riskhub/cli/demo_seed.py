"""The demo's SEED+ step: two hubs (Serbia's and North Macedonia's) exchanging over HTTPS.

Each hub is its own process with its own database and key, as two
administrations would run them; Serbia's tax administration pushes VAT refund
claims to Serbia's hub as a third node. Pre-arrival exports go to the other
side, each hub matches, findings and arrival confirmations go back, and the
findings are checked against what the generator planted.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from riskhub.access.distribution import Distribution, Tlp
from riskhub.cli.common import console
from riskhub.db.base import utcnow
from riskhub.db.tenancy import acting_for
from riskhub.declarations import service as declarations
from riskhub.exchange import keys
from riskhub.exchange.envelope import LIFETIME, Envelope, Origin, new_id, seal
from riskhub.exchange.keys import Identity
from riskhub.exchange.loopback import LoopbackHub
from riskhub.exchange.messages import MessageType, VatRefundClaim
from riskhub.exchange.models import OutboxMessage, PartnerNode
from riskhub.exchange.tls import loopback_certificates
from riskhub.exchange.transports import HttpTransport
from riskhub.matching import prearrival, service
from riskhub.matching.models import MatchingFinding
from riskhub.profiles import service as profiles
from riskhub.selectivity import service as selectivity
from riskhub.selectivity.models import SelectivityDecision
from riskhub.synth.claims import vat_claims
from riskhub.synth.generator import TrafficSpec, generate
from riskhub.synth.writer import write_traffic

SEED_LIBRARY = Path(__file__).resolve().parent.parent / "profiles" / "library" / "seed.yaml"
PLANTED = {
    "ghost_export": "missing_entry",
    "undervaluation": "undervaluation",
    "under_declared_mass": "mass_mismatch",
    "misclassification": "hs6_changed",
    "false_origin": "origin_changed",
}


def seed_exchange(folder: Path, *, seed: int, days: int = 14, trucks_per_day: int = 400) -> None:
    """Run the two-hub SEED+ exchange and print what matching found against the truth."""
    began = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    tls = loopback_certificates(folder / "tls")
    rs = LoopbackHub("rs-hub", ("RS",), folder / "rs-hub", tls=tls).prepare()
    mk = LoopbackHub("mk-hub", ("MK",), folder / "mk-hub", tls=tls).prepare()
    tax = Identity("rs-tax", frozenset({"RS"}), Ed25519PrivateKey.generate())
    try:
        rs.start()
        mk.start()
        _introduce(rs, mk)
        _introduce(mk, rs)
        _register(rs, tax, url=None)
        spec = TrafficSpec(days=days, seed=seed, trucks_per_day=trucks_per_day)
        rows = generate(spec).filter(pl.col("party").is_in(["RS", "MK"]))
        for hub in (rs, mk):
            path = hub.folder / "traffic.csv"
            write_traffic(rows.filter(pl.col("party") == hub.parties[0]), path)
            declarations.ingest_path(engine=hub.engine, path=path)
        start = datetime.combine(spec.start, datetime.min.time())
        end = start + timedelta(days=days)
        now = end + timedelta(days=3)
        sent = Counter[str]()
        for hub in (rs, mk):
            sent.update(
                prearrival.publish(
                    engine=hub.engine, identity=hub.identity(), since=start, until=end
                )
            )
        claims = _push_vat_claims(tax, rs, rows, seed)
        exchange_began = time.perf_counter()
        _drain(rs, mk)
        # Every hub's entry side first: its arrival confirmations tell the exit side.
        for side in service.SIDES:
            for hub in (rs, mk):
                service.run(engine=hub.engine, identity=hub.identity(), party=hub.parties[0],
                            since=start, until=end, now=now, sides=(side,))  # fmt: skip
            _drain(rs, mk)
        exchange_s = time.perf_counter() - exchange_began
        delivered = sum(_count(h, OutboxMessage.status == "delivered") for h in (rs, mk))
        console.print(
            f"12. SEED+ between two hubs over HTTPS ({rs.url} and {mk.url}, each its own process, "
            f"database and Ed25519 key): {sent['queued']:,} pre-arrival exports and "
            f"{claims:,} VAT refund claims (from Serbia's tax administration) sent; "
            f"{delivered:,} signed messages delivered with verified receipts in {exchange_s:.1f} s "
            f"of exchange and matching; outboxes empty: "
            f"{all(_count(h, OutboxMessage.status == 'pending') == 0 for h in (rs, mk))}."
        )
        _print_findings(rs, mk, rows)
        _decide_with_seed(mk)
    finally:
        rs.stop()
        mk.stop()
    console.print(f"   Done in {time.perf_counter() - began:.1f} s; the hubs' data is in {folder}.")


def _introduce(hub: LoopbackHub, partner: LoopbackHub) -> None:
    _register(hub, partner.identity(), url=partner.url)


def _register(hub: LoopbackHub, partner: Identity, *, url: str | None) -> None:
    with Session(hub.engine) as session, session.begin():
        keys.register(
            session=session,
            node=partner.node,
            parties=sorted(partner.parties),
            public_key=partner.public,
            url=url,
            identities_shared=True,
        )


def _push_vat_claims(tax: Identity, rs: LoopbackHub, rows: pl.DataFrame, seed: int) -> int:
    """Serbia's tax administration pushes its exporters' VAT refund claims, signed, to the hub."""
    claims = vat_claims(rows, seed=seed).filter(pl.col("party") == "RS")
    now = utcnow()
    tokens = []
    for c in claims.iter_rows(named=True):
        message_id = new_id()
        payload = VatRefundClaim(
            claim_id=f"VAT-{c['export_reference']}",
            export_reference=c["export_reference"],
            exporter=c["exporter"],
            amount_eur=c["amount_eur"],
            claimed_at=c["claimed_at"],
        )
        envelope = Envelope(
            id=message_id,
            sender_party="RS",
            sender_node=tax.node,
            receiver_node=rs.node,
            receivers=["RS"],
            type=MessageType.VAT_REFUND_CLAIM,
            created_at=now,
            expires_at=now + LIFETIME,
            distribution=Distribution.GROUP,
            tlp=Tlp.AMBER,
            group=["RS"],
            origin=Origin(party="RS", node=tax.node, message_id=message_id),
            path=[tax.node],
            payload=payload.model_dump(mode="json"),
        )
        tokens.append(seal(envelope, tax.key, kid=tax.kid))
    assert rs.tls is not None
    transport = HttpTransport(ca_file=rs.tls.ca_file)
    node = PartnerNode(node=rs.node, parties="RS", url=rs.url)
    try:
        for start in range(0, len(tokens), 200):
            transport.push(node, tokens[start : start + 200])
    finally:
        transport.close()
    return len(tokens)


def _drain(*hubs: LoopbackHub) -> None:
    """Run every hub's sender worker until nothing is left to push."""
    workers = [hub.worker("--until-idle", "--poll", "0.2") for hub in hubs]
    for hub, worker in zip(hubs, workers, strict=True):
        if worker.wait(timeout=300) != 0:
            raise RuntimeError(f"{hub.node}'s sender failed; see {hub.folder / 'worker.log'}")


def _count(hub: LoopbackHub, *where: object) -> int:
    with Session(hub.engine) as session:
        query = select(func.count()).select_from(OutboxMessage).where(*where)  # type: ignore[arg-type]
        return int(session.execute(query).scalar_one())


def _print_findings(rs: LoopbackHub, mk: LoopbackHub, rows: pl.DataFrame) -> None:
    """Findings by kind at each hub, against the discrepancies the generator planted."""
    found: dict[str, set[str]] = {}
    severity: Counter[str] = Counter()
    for hub in (rs, mk):
        party = hub.parties[0]
        with Session(hub.engine) as session:
            for kind, sev, exit_ref, entry_ref in session.execute(
                select(
                    MatchingFinding.kind,
                    MatchingFinding.severity,
                    MatchingFinding.exit_reference,
                    MatchingFinding.entry_reference,
                ).where(MatchingFinding.party == party)
            ):
                ref = exit_ref if kind == "missing_entry" else entry_ref
                found.setdefault(kind, set()).add(ref)
                if kind == "missing_entry" and exit_ref.startswith(f"{party}-"):
                    severity[sev] += 1
    truth = rows.filter(pl.col("known_outcome").is_not_null())
    crossing = rows.filter(
        (pl.col("party") == "RS") & (pl.col("destination_country") == "MK")
        | (pl.col("party") == "MK") & (pl.col("destination_country") == "RS")
        | pl.col("export_reference").str.slice(0, 2).is_in(["RS", "MK"])
    )
    table = Table(
        "finding",
        "planted (RS↔MK)",
        "found",
        "of them with planted non-compliance",
        "recall",
        title="SEED matching findings against the generator's truth",
    )
    # The weighbridge sees under-declared mass too, where the truck was weighed.
    weighed = truth.filter(pl.col("weighbridge_mass").is_not_null())
    rows_by_kind = [(o, k, truth) for o, k in PLANTED.items()]
    rows_by_kind.append(("under_declared_mass", "weighbridge_mismatch", weighed))
    for outcome, kind, source in rows_by_kind:
        planted = set(
            source.filter(pl.col("known_outcome") == outcome).join(
                crossing.select("reference").unique(), on="reference"
            )["reference"]
        )
        got = found.get(kind, set())
        hit = len(planted & got)
        table.add_row(
            kind,
            f"{len(planted):,}",
            f"{len(got):,}",
            f"{len(got & set(truth['reference'])):,}",
            f"{hit / len(planted):.0%}" if planted else "-",
        )
    console.print(table)
    console.print(
        f"   Possible ghost exports judged by the exit side: {severity['high']} high "
        f"(a VAT refund was claimed), {severity['warning']} warning."
    )


def _decide_with_seed(mk: LoopbackHub) -> None:
    """North Macedonia's entries decided with the SEED profiles of the starter library."""
    with acting_for("MK"), Session(mk.engine) as session, session.begin():
        profiles.import_profiles(
            session=session, party="MK", text=SEED_LIBRARY.read_text(), activate=True
        )
    selectivity.decide_pending(engine_=mk.engine, party="MK")
    s = SelectivityDecision
    with Session(mk.engine) as session:
        reasons = session.execute(select(s.channel, s.reasons).where(s.party == "MK")).all()
    red = sum(
        1
        for channel, why in reasons
        if channel == "red"
        and any(r.get("profile") == "CEFTA-SEED-001" and r.get("selected") for r in json.loads(why))
    )
    console.print(
        f"   At North Macedonia's hub, {red:,} entry declarations went red on CEFTA-SEED-001 "
        "(value, mass or HS6 differ from the export Serbia sent)."
    )
