"""The day sheet's tables (see ``__init__.py``), on the scoring metadata; created by migration 0015."""

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, DateTime, Index, Integer, Numeric, Sequence, String, Table
from sqlalchemy.dialects.postgresql import ARRAY

from services.scoring.tables import metadata

# Numbers every write of the sheet: a row is only replaced by a write numbered at least as high.
sheet_seq = Sequence("day_sheet_seq", metadata=metadata)

RULES = ARRAY(String(100)).with_variant(JSON, "sqlite")  # the sheet is kept on PostgreSQL only

day_sheet = Table(
    "day_sheet",
    metadata,
    Column("cadre_id", String(64), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("rule_set", String(100), nullable=False),
    Column("seq", BigInteger, nullable=False),  # the write's number (day_sheet_seq)
    Column("stream_version", BigInteger, nullable=False),  # the cadre's stream version applied when written
    Column("name", String(100), nullable=False),
    Column("unit_id", String(100), nullable=False),
    # exact decimals, as the window sums them (category weights may give more than two places)
    Column("total", Numeric, nullable=False),
    Column("positive", Numeric, nullable=False),
    Column("negative", Numeric, nullable=False),
    Column("verdict", String(20), nullable=False),
    # the rules failed, and those unknown (an undetermined verdict's): text arrays, which asyncpg decodes in C (as
    # JSON, decoding them was half of reading a city's rows)
    Column("excluded_by", RULES, nullable=False),
    Column("unknown", RULES, nullable=False),
)

# A cadre's place in each ranking group it belongs to: a band is three counts over (group_id, total).
day_sheet_groups = Table(
    "day_sheet_groups",
    metadata,
    Column("group_id", String(200), primary_key=True),
    Column("cadre_id", String(64), primary_key=True),
    Column("position", Integer, nullable=False),  # the group's place among the cadre's groups (the bands' order)
    Column("total", Numeric, nullable=False),
    Index("ix_day_sheet_groups_total", "group_id", "total"),
    Index("ix_day_sheet_groups_cadre", "cadre_id"),
)

# One row (id 1): the day and rule set the sheet is for, whether it is complete, and the fill under way.
day_sheet_state = Table(
    "day_sheet_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("rule_set", String(100), nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("fill_seq", BigInteger, nullable=True),  # the number of the fill under way (None: none)
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
