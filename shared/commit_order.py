"""Reading an append-only table in commit order, never passing a row that may still commit.

Used by the dossier's relay (the event store) and the scoring publisher (its outbox). Each such
table has a ``position`` and a ``tx_id`` column: on PostgreSQL the writing transaction's id
(``pg_current_xact_id()``), on SQLite 0 (one writer at a time, so positions are commit order).

PostgreSQL: rows written by transactions below the oldest still-running transaction id
(``pg_snapshot_xmin``) are final: every such row we cannot see was rolled back. Reading only
those, ordered by (tx_id, position), means a transaction that commits late is read later, never
skipped. A long-running writing transaction anywhere in the cluster therefore delays readers, but
cannot make them lose a row.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, Table, select, text, tuple_

PG_TX_ID_DEFAULT = "(pg_current_xact_id()::text::bigint)"


@dataclass(frozen=True, slots=True, order=True)
class Cursor:
    """Where a reader in commit order stands: (writing transaction id, position)."""

    tx_id: int = 0
    position: int = 0


def committed_after(table: Table, after: Cursor, limit: int, dialect: str) -> Select:
    query = select(table).order_by(table.c.tx_id, table.c.position).limit(limit)
    if dialect == "postgresql":
        return query.where(
            tuple_(table.c.tx_id, table.c.position) > tuple_(after.tx_id, after.position),
            table.c.tx_id < text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint"),
        )
    return query.where(table.c.position > after.position)
