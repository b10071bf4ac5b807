"""Row-level security statements the migrations share (PostgreSQL only).

Two kinds of table: a Party's own rows (``tenant``: read and write only as
that Party), and shareable objects (``shared``: others may read what is not
distributed 'own', the services then apply the exact distribution rule; only
the owner writes). The statements are fixed text: a migration that used them
keeps producing the same policies.
"""

from __future__ import annotations

TENANT = "party = current_setting('riskhub.party', true)"


def _forced(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
    ]


def tenant(table: str) -> list[str]:
    """Statements that make ``table`` visible and writable to its own Party only."""
    return [
        *_forced(table),
        f"CREATE POLICY tenant ON {table} USING ({TENANT}) WITH CHECK ({TENANT})",
    ]


def shared(table: str) -> list[str]:
    """Statements that let others read ``table``'s non-'own' rows and only the owner write."""
    return [
        *_forced(table),
        f"CREATE POLICY shared_read ON {table} FOR SELECT "
        f"USING ({TENANT} OR distribution <> 'own')",
        f"CREATE POLICY owner_insert ON {table} FOR INSERT WITH CHECK ({TENANT})",
        f"CREATE POLICY owner_update ON {table} FOR UPDATE USING ({TENANT}) WITH CHECK ({TENANT})",
        f"CREATE POLICY owner_delete ON {table} FOR DELETE USING ({TENANT})",
    ]


def cefta_wide(table: str) -> list[str]:
    """Statements that let every Party read ``table`` and each write only its own rows.

    For the RMWG's working objects (votes, joint actions, the register): all
    Parties see them, the services decide who sees which detail, and a Party can
    only ever write in its own name.
    """
    return [
        *_forced(table),
        f"CREATE POLICY everyone_reads ON {table} FOR SELECT USING (true)",
        f"CREATE POLICY owner_insert ON {table} FOR INSERT WITH CHECK ({TENANT})",
        f"CREATE POLICY owner_update ON {table} FOR UPDATE USING ({TENANT}) WITH CHECK ({TENANT})",
        f"CREATE POLICY owner_delete ON {table} FOR DELETE USING ({TENANT})",
    ]
