"""``riskhub exchange`` and ``riskhub match``: keys, partners, refusals with reasons, findings."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from riskhub.cli import app
from riskhub.exchange import jws
from tests.exchange.nodes import node

runner = CliRunner()


def test_keys_partners_and_what_arrived(engine: Engine, tmp_path: Path) -> None:
    shown = runner.invoke(app, ["exchange", "keys"])
    assert shown.exit_code == 0, shown.output
    public = shown.output.split("public key:")[1].split()[0]
    assert len(jws.b64url_decode(public)) == 32  # what a partner needs to register this hub
    mk = node("mk-hub", "MK")
    added = runner.invoke(app, ["exchange", "partner", "add", "mk-hub", "--parties", "MK",
                                "--key", mk.public, "--url", "https://mk-hub.example"])  # fmt: skip
    assert added.exit_code == 0 and mk.kid in added.output, added.output
    assert mk.kid in runner.invoke(app, ["exchange", "keys"]).output
    for bad, why in [
        (["--key", "not-a-key", "--url", "https://x.example"], "not base64url"),
        (["--key", mk.public, "--url", "http://mk-hub.example"], "https://"),
        (["--key", mk.public, "--parties", "QQ"], "unknown Party"),
    ]:
        args = ["exchange", "partner", "add", "mk-2", "--parties", "MK", *bad]
        refused = runner.invoke(app, args)
        assert refused.exit_code == 1 and why in refused.output, refused.output
    assert runner.invoke(app, ["exchange", "partner", "revoke", mk.kid]).exit_code == 0
    again = runner.invoke(app, ["exchange", "partner", "revoke", mk.kid])
    assert again.exit_code == 1 and "No active key" in again.output
    status = runner.invoke(app, ["exchange", "status", "--party", "RS"])
    assert status.exit_code == 0 and "out:" in status.output, status.output
    docs = runner.invoke(app, ["exchange", "documents", "--party", "RS"])
    assert docs.exit_code == 0, docs.output
    out = tmp_path / "schemas.json"
    assert runner.invoke(app, ["exchange", "schemas", "--out", str(out)]).exit_code == 0
    assert "envelope" in json.loads(out.read_text())


def test_match_commands(engine: Engine) -> None:
    assert runner.invoke(app, ["match", "publish"]).exit_code == 0
    ran = runner.invoke(app, ["match", "run", "--party", "MK"])
    assert ran.exit_code == 0 and "Matching for MK" in ran.output, ran.output
    bad = runner.invoke(app, ["match", "run", "--party", "MK", "--side", "sideways"])
    assert bad.exit_code == 2 and "--side must be" in bad.output
    assert runner.invoke(app, ["match", "findings", "--party", "MK"]).exit_code == 0
