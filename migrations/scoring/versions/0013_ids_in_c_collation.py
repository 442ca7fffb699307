"""The facts' id columns compared byte by byte (the "C" collation), and one index fewer on ``entries``.

Ids (uuids, ``unit-…``, ``cadre-…``) are keys, never text a person reads in order. Under the cluster's
linguistic collation (C.UTF-8 here, a locale elsewhere) every comparison of them goes through ``strcoll``
and PostgreSQL sorts them without abbreviated keys: most of a city's rebuild was spent building the indexes
on these columns (bench/RESULTS.md, "Rebuild, round two"). In "C" they sort as bytes, which for UTF-8 is code
point order: the same order as C.UTF-8 and as Python's, so no answer changes on this cluster; on a cluster
with a linguistic default, ids now sort as Python sorts them. A column in "C" compared with one in the
default collation (a literal, a parameter, another table's column) takes "C": no query needs a COLLATE.

``uq_entries_event_id`` goes: nothing reads entries by event id, and an event redelivered to the consumer
is already refused by the entry's primary key (one entry per event, its id the entry's or achievement's).

PostgreSQL only: SQLite (the embedded wiring) compares text as bytes already.

Revision ID: 0013_ids_in_c_collation
Revises: 0012_applied_chain_hash
Create Date: 2026-12-06
"""

from alembic import op

revision = "0013_ids_in_c_collation"
down_revision = "0012_applied_chain_hash"
branch_labels = None
depends_on = None

# table: (column, its varchar length) for every id column of the facts a rebuild makes
ID_COLUMNS = {
    "entries": [("entry_id", 64), ("event_id", 36), ("cadre_id", 64)],
    "current_entries": [("entry_id", 64), ("event_id", 36), ("cadre_id", 64)],
    "entry_amendments": [("event_id", 36), ("entry_id", 64), ("cadre_id", 64)],
    "revocations": [("entry_id", 64), ("event_id", 36), ("cadre_id", 64)],
    "cadres": [("cadre_id", 64), ("event_id", 36), ("unit_id", 100)],
    "posts": [("post_id", 64), ("event_id", 36), ("cadre_id", 64), ("unit_id", 100)],
    "post_ends": [("event_id", 36), ("post_id", 64)],
    "units": [("unit_id", 100), ("event_id", 36), ("parent_id", 100)],
    "results": [("event_id", 36), ("subject_id", 100)],
    "declarations": [("event_id", 36), ("cadre_id", 64)],
    "assessment_inputs": [("event_id", 36), ("input_id", 64), ("subject_id", 100), ("scheme_id", 100)],
    "assessment_schemes": [("event_id", 36), ("scheme_id", 100)],
}


def _collate(collation: str) -> None:
    for table, columns in ID_COLUMNS.items():
        changes = ", ".join(f'ALTER COLUMN {column} TYPE varchar({length}) COLLATE "{collation}"'
                            for column, length in columns)
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint("uq_entries_event_id", "entries", type_="unique")
    _collate("C")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _collate("default")
    op.create_unique_constraint("uq_entries_event_id", "entries", ["event_id"])
