"""The consequences of the annual assessment acted on (issue 16, step 5): one row per raising of a consequence
``key`` (``rule:scheme:year:subject``), its ``occurrence`` 1, 2, … as warnings count theirs; active while
``withdrawn_at`` is null. A rectification report is owed while its row is active and ``filed_event_id`` is
null. What scoring has announced, so a rebuild takes it over (``repository.ANNOUNCED``)."""

from sqlalchemy import JSON, Column, Date, DateTime, Index, Integer, String, Table, Text

from services.scoring.tables import metadata

assessment_consequences = Table(
    "assessment_consequences",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("occurrence", Integer, primary_key=True),
    Column("scheme_id", String(100), nullable=False),
    Column("year", Integer, nullable=False),
    Column("subject_id", String(100), nullable=False),
    Column("subject_kind", String(10), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("source", String(10), nullable=False),
    Column("action", String(50), nullable=False),
    Column("bearer_id", String(100), nullable=False),
    Column("grade", String(50), nullable=False),
    Column("composite", String(40), nullable=True),
    Column("evidence", JSON, nullable=False),
    Column("message", Text, nullable=False),
    Column("warning_kind", String(50), nullable=True),  # the warning raised with it on shiji.scoring.warnings.v1
    Column("raised_on", Date, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("withdrawn_on", Date, nullable=True),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
    Column("filed_event_id", String(36), nullable=True),
    Column("filed_at", DateTime(timezone=True), nullable=True),
    Index(None, "scheme_id", "year"),
)
