"""Distribution levels and TLP: who sees a shared object, and what they see of traders."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from riskhub.access import service as access
from riskhub.access.distribution import (
    Distribution,
    Sharing,
    Tlp,
    audience,
    minimise,
    pseudonym,
    visible_to,
)
from riskhub.reference.parties import CEFTA_PARTIES, EU_MEMBER_STATES, PARTY_CODES

ALL = sorted(PARTY_CODES)


@pytest.mark.parametrize(
    ("distribution", "group", "expected"),
    [
        (Distribution.OWN, frozenset(), {"RS"}),
        (Distribution.GROUP, frozenset({"MK", "HU"}), {"RS", "MK", "HU"}),
        (Distribution.CEFTA, frozenset(), set(CEFTA_PARTIES)),
        (Distribution.CEFTA_EU, frozenset(), set(CEFTA_PARTIES) | set(EU_MEMBER_STATES)),
    ],
)
def test_each_level_reaches_exactly_its_audience(
    distribution: Distribution, group: frozenset[str], expected: set[str]
) -> None:
    sharing = Sharing(owner="RS", distribution=distribution, tlp=Tlp.AMBER, group=group)
    assert audience(sharing, ALL) == expected
    assert not visible_to("XS", sharing)  # the Secretariat sees aggregates only
    assert not visible_to("ZZ", sharing)


def test_pseudonyms_are_stable_keyed_and_per_owner() -> None:
    key, other = b"k" * 32, b"o" * 32
    a = pseudonym("RS100000001", owner="RS", key=key)
    assert a == pseudonym("RS100000001", owner="RS", key=key)
    assert a.startswith("T-RS-") and "RS100000001" not in a
    assert a != pseudonym("RS100000002", owner="RS", key=key)
    assert a != pseudonym("RS100000001", owner="RS", key=other)
    assert a != pseudonym("RS100000001", owner="MK", key=key)


def test_shared_documents_carry_pseudonyms_unless_identities_are_shared() -> None:
    doc = {"importer": "RS100000001", "declarant": "RSB10001", "hs_code": "847130", "seller": None}
    sharing = Sharing(owner="RS", distribution=Distribution.CEFTA, tlp=Tlp.GREEN)
    seen = minimise(doc, reader="MK", sharing=sharing, key=b"k" * 32)
    assert seen["hs_code"] == "847130" and seen["seller"] is None
    assert seen["importer"] != "RS100000001" and str(seen["importer"]).startswith("T-RS-")
    assert minimise(doc, reader="RS", sharing=sharing, key=b"k" * 32) == doc
    open_sharing = Sharing(
        owner="RS", distribution=Distribution.CEFTA, tlp=Tlp.GREEN, identities_shared=True
    )
    assert minimise(doc, reader="MK", sharing=open_sharing, key=b"k" * 32) == doc


def test_a_stored_sharing_group_decides_who_sees(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        group = access.create_sharing_group(
            session=session, name="Preševo-Tabanovce and Croatia", members=["RS", "MK", "HR"]
        )
        sharing = access.sharing_of(
            session=session, owner="RS", distribution=Distribution.GROUP, tlp=Tlp.AMBER,
            group_id=group.id,
        )  # fmt: skip
        with pytest.raises(access.AccessError, match="unknown Party QQ"):
            access.create_sharing_group(session=session, name="bad", members=["RS", "QQ"])
    assert audience(sharing, ALL) == {"RS", "MK", "HR"}
