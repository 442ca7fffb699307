"""The annual comprehensive assessment's facts in scoring (issue 16): the schemes' versions and every input
of every subject, one row per event (keyed by it, so a redelivery inserts nothing). The composite is
computed on read from these rows by the pure rules of ``services.scoring.assessment``."""

from sqlalchemy import JSON, Column, Date, DateTime, Index, Integer, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from services.scoring.tables import metadata

assessment_schemes = Table(
    "assessment_schemes",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("scheme_id", String(100), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("document", JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Readings, scores and breaches, and their revocations (``event_type`` says which; a revocation names the
# ``input_id`` it revokes). ``item_id``: the indicator of a reading or breach, the component of a score.
assessment_inputs = Table(
    "assessment_inputs",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(50), nullable=False),
    Column("input_id", String(64), nullable=False),
    Column("subject_id", String(100), nullable=False),
    Column("scheme_id", String(100), nullable=False),
    Column("year", Integer, nullable=False),
    Column("item_id", String(100), nullable=True),
    Column("period", String(10), nullable=True),
    Column("evaluation", String(30), nullable=True),
    Column("effective_date", Date, nullable=True),
    Column("value", String(50), nullable=True),
    Column("level", String(50), nullable=True),
    Column("last_year", String(50), nullable=True),
    Column("target", String(50), nullable=True),
    Column("score", String(50), nullable=True),
    Column("note", Text, nullable=True),
    Column("source", String(300), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index(None, "scheme_id", "year"),
)
