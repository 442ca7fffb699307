"""The scoring projections and the consumer's own positions (its Kafka offsets live here, not in Kafka).

Every projection row is keyed by what it projects (the cadre, the entry, the revocation) and
carries the event id that made it, so applying an event twice inserts nothing the second time.
Points are kept in hundredths (``points_cents``): exact sums on every database.
"""

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, Integer, LargeBinary, String, Table, Text

from shared.db import new_metadata

metadata = new_metadata()

cadres = Table(
    "cadres",
    metadata,
    Column("cadre_id", String(64), primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("unit_id", String(100), nullable=False, index=True),  # a unit's cadres (unit_cadres.py, migration 0013)
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

entries = Table(
    "entries",
    metadata,
    Column("entry_id", String(64), primary_key=True),
    Column("event_id", String(36), nullable=False),  # not unique: see migration 0013
    Column("cadre_id", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("category", String(100), nullable=False),
    Column("points_cents", BigInteger, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("impact_start", Date, nullable=True),  # sanctions: the impact period (影响期)
    Column("impact_end", Date, nullable=True),
    Index(None, "cadre_id", "effective_date"),
)

revocations = Table(
    "revocations",
    metadata,
    Column("entry_id", String(64), primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("cadre_id", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

consumer_positions = Table(
    "consumer_positions",
    metadata,
    Column("consumer", String(100), primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Messages that are not events of ours (malformed, unknown type, invalid data): kept, never applied.
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("topic", String(200), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, primary_key=True),
    Column("error", Text, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# Corrections of entries (EntryAmended): each row holds the entry's values from its recorded time on.
entry_amendments = Table(
    "entry_amendments",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("entry_id", String(64), nullable=False, index=True),
    Column("cadre_id", String(64), nullable=False, index=True),
    Column("category", String(100), nullable=True),
    Column("points_cents", BigInteger, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("impact_start", Date, nullable=True),
    Column("impact_end", Date, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Each entry as it stands now: recorded, not revoked, as last amended (the impact period included).
# Derived from the three tables above, never written otherwise: the consumer re-derives the rows of the
# entries a batch touched in the batch's own transaction (projection.refresh_current_entries), so it is
# exactly "as known at the newest recorded event applied". Answers without ``known_at`` read it: a plain
# index range per cadre instead of joining amendments and revocations as known at a moment.
current_entries = Table(
    "current_entries",
    metadata,
    Column("entry_id", String(64), primary_key=True),
    Column("event_id", String(36), nullable=False),  # the event that last set its values
    Column("cadre_id", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("category", String(100), nullable=False),
    Column("points_cents", BigInteger, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("impact_start", Date, nullable=True),
    Column("impact_end", Date, nullable=True),
    Index(None, "cadre_id", "effective_date",
          postgresql_include=["kind", "category", "points_cents", "impact_start"]),
)

# Facts for screening and rankings. Insert-only, each row keyed by the event that made it, so every
# question can be asked as known at any recorded time.
posts = Table(
    "posts",
    metadata,
    Column("post_id", String(64), primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("cadre_id", String(64), nullable=False, index=True),
    Column("unit_id", String(100), nullable=False, index=True),
    Column("leadership", String(20), nullable=False),
    Column("rank", String(100), nullable=True),  # the post's level (职级, e.g. 正处级); null if projected before 0008
    Column("start_date", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

post_ends = Table(
    "post_ends",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("post_id", String(64), nullable=False, index=True),
    Column("end_date", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

units = Table(
    "units",
    metadata,
    Column("unit_id", String(100), primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("parent_id", String(100), nullable=True, index=True),
    Column("level", String(20), nullable=False),
    Column("unit_class", String(100), nullable=False, index=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("name", String(200), nullable=True),  # for the answers' rows (issue 15); null until rebuilt (0006)
)

# One row per recorded result: a cadre's annual grade, appraisal level, scores, vetoes; a unit's team
# grade and target prize. The newest row per (subject, year, kind) known at a time holds; vetoes add up.
results = Table(
    "results",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("kind", String(30), primary_key=True),
    Column("subject_id", String(100), nullable=False, index=True),
    Column("year", Integer, nullable=False),
    Column("value", String(100), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

declarations = Table(
    "declarations",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("cadre_id", String(64), nullable=False, index=True),
    Column("declaration", String(30), nullable=False),
    Column("flagged", Integer, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Warnings (预警): one row per raising, the key's ``occurrence`` (1, 2, ...: raised again after being
# cleared, even on the same day); active while cleared_at is null. ``figure`` and ``threshold``: the
# condition's number on the day raised and what it was held against (decimal text; null when none).
warnings = Table(
    "warnings",
    metadata,
    Column("cadre_id", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("occurrence", Integer, primary_key=True),
    Column("raised_on", Date, nullable=False),
    Column("kind", String(50), nullable=False),
    Column("level", String(10), nullable=False),
    Column("detail", Text, nullable=False),
    Column("figure", String(40), nullable=True),
    Column("threshold", String(40), nullable=True),
    Column("rule_set", String(100), nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("cleared_on", Date, nullable=True),
    Column("cleared_at", DateTime(timezone=True), nullable=True),
)

# The totals last published on shiji.scoring.totals.v1, so only changes are published.
published_totals = Table(
    "published_totals",
    metadata,
    Column("cadre_id", String(64), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("positive_cents", BigInteger, nullable=False),
    Column("negative_cents", BigInteger, nullable=False),
    Column("rule_set", String(100), nullable=False),
    Column("stream_version", BigInteger, nullable=True),  # of the cadre's last event they rest on
)

# Messages for other systems, written in the same transaction as the change they announce and
# published in commit order by services/scoring/publisher.py (tx_id: see shared/commit_order.py).
outbox = Table(
    "outbox",
    metadata,
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("tx_id", BigInteger, nullable=False),
    Column("topic", String(200), nullable=False),
    Column("key", String(100), nullable=False),
    Column("value", LargeBinary, nullable=False),
    Index(None, "tx_id", "position"),
)

outbox_checkpoints = Table(
    "outbox_checkpoints",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("tx_id", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
)

# Per stream (a cadre's, unit-<id>, catalogue), the newest version the consumer has applied: how far every
# answer is current (shared/positions.py). Upserted once per batch per stream, in the batch's transaction.
# With it the chain hash of that version, which the next event must link to (services/scoring/stream_check.py).
applied_versions = Table(
    "applied_versions",
    metadata,
    Column("stream_id", String(100), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("chain_hash", String(80), nullable=True),
)
