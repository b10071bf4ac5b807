"""The model registry: register a trained model, approve it, and load what serves.

A model is stored whole in the database (a zip of its folder), so every API
worker and every machine serves the same bytes, checked by their SHA-256.
Approving a champion retires the previous one; a challenger scores in shadow
beside it until someone approves it in its place.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from riskhub.db import locks
from riskhub.db.base import utcnow
from riskhub.targeting import features
from riskhub.targeting.model import RiskModel
from riskhub.targeting.models import RiskModelVersion

ROLES = ("champion", "challenger")


class RegistryError(ValueError):
    """A registry request that cannot be carried out; the message says why."""


def _zip(model: RiskModel) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model.save(folder)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.iterdir()):
                archive.write(path, path.name)
        return buffer.getvalue()


def unpack(row: RiskModelVersion) -> RiskModel:
    """The model stored in ``row``, refused if its bytes are not what was registered."""
    if hashlib.sha256(row.artifact).hexdigest() != row.artifact_sha256:
        raise RegistryError(f"model {row.party} v{row.version}: stored bytes do not match")
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(io.BytesIO(row.artifact)) as zf:
        zf.extractall(tmp)
        return RiskModel.load(Path(tmp))


def register(
    *, session: Session, party: str, model: RiskModel, trained_by: str,
    metrics: dict[str, Any] | None = None, note: str = "",
) -> RiskModelVersion:  # fmt: skip
    """Store a trained model as the Party's next version, a candidate that does not serve.

    Call it in a transaction that takes the write lock first on SQLite
    (``sqlite_immediate``): two trainings finishing at once then number one after the other.
    """
    # Two workers retraining one Party at once would both read the same last version;
    # this lock, held to commit, makes the second read after the first is stored.
    locks.hold(session, f"riskhub.models.{party}")
    last = session.scalar(
        select(func.max(RiskModelVersion.version)).where(RiskModelVersion.party == party)
    )
    artifact = _zip(model)
    row = RiskModelVersion(
        party=party,
        version=(last or 0) + 1,
        status="candidate",
        train_from=date.fromisoformat(model.meta["train_from"]),
        train_to=date.fromisoformat(model.meta["train_to"]),
        trained_rows=model.meta["trained_rows"],
        features=json.dumps(features.names()),
        metrics=json.dumps(metrics or model.meta.get("validation") or {}),
        revenue_weight=model.meta.get("revenue_weight", 0.0),
        artifact=artifact,
        artifact_sha256=hashlib.sha256(artifact).hexdigest(),
        trained_by=trained_by,
        trained_at=utcnow(),
        note=note,
    )
    session.add(row)
    session.flush()
    return row


def versions(*, session: Session, party: str) -> list[RiskModelVersion]:
    """The Party's models, newest first."""
    return list(
        session.scalars(
            select(RiskModelVersion)
            .where(RiskModelVersion.party == party)
            .order_by(RiskModelVersion.version.desc())
        )
    )


def approve(
    *, session: Session, party: str, version: int, role: str, approved_by: str
) -> RiskModelVersion:
    """Make a version the champion (it serves) or the challenger (shadow); the old one retires."""
    if role not in ROLES:
        raise RegistryError(f"approve as one of {', '.join(ROLES)}")
    row = session.scalars(
        select(RiskModelVersion).where(
            RiskModelVersion.party == party, RiskModelVersion.version == version
        )
    ).first()
    if row is None:
        raise RegistryError(f"{party} has no model version {version}")
    if row.status == "retired":
        raise RegistryError(f"version {version} is retired; train a new one")
    if row.status == "champion" and role != "champion":
        raise RegistryError(
            f"version {version} serves as the champion; approve another champion first"
        )
    if row.features != json.dumps(features.names()):
        raise RegistryError(f"version {version} was trained on other features; retrain")
    for other in session.scalars(
        select(RiskModelVersion).where(
            RiskModelVersion.party == party,
            RiskModelVersion.status == role,
            RiskModelVersion.id != row.id,
        )
    ):
        other.status = "retired"
    row.status, row.approved_by, row.approved_at = role, approved_by, utcnow()
    session.flush()
    return row


@dataclass
class Serving:
    """What scores a Party's declarations now: the champion, and a challenger in shadow."""

    champion: tuple[RiskModelVersion, RiskModel] | None
    challenger: tuple[RiskModelVersion, RiskModel] | None


_cache: dict[tuple[str, str], RiskModel] = {}


def serving(*, session: Session, party: str) -> Serving:
    """The approved models of ``party``, unpacked once per stored artifact."""
    found: dict[str, tuple[RiskModelVersion, RiskModel]] = {}
    for row in session.scalars(
        select(RiskModelVersion).where(
            RiskModelVersion.party == party, RiskModelVersion.status.in_(ROLES)
        )
    ):
        # Keyed by the bytes' digest: a changed or rebuilt database can never serve stale.
        key = (party, row.artifact_sha256)
        if key not in _cache:
            _cache[key] = unpack(row)
        found[row.status] = (row, _cache[key])
    return Serving(found.get("champion"), found.get("challenger"))
