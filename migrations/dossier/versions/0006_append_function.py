"""The append as one server-side function (issue 22): ``shiji_append`` takes the stream's lock, checks the
expected head, and inserts the events (and a write's Idempotency-Key answer) in one call.

Before, an append was five round trips (BEGIN, the advisory lock, the head read, the INSERT, COMMIT) and a
service write eight or more; now BEGIN, one call, COMMIT. Every guarantee is the one the statements kept:

- Writers of one stream take turns on the same advisory lock as before (``hashtextextended(stream, 0)``,
  also taken by batched imports, so both kinds still queue behind each other). It is taken first, before
  any write, so the transaction id that orders the relay's reading (``shared.commit_order``) is assigned
  after the previous writer of the stream committed: a later version always has a later transaction id.
- The caller chains the rows in Python (SM3 over RFC 8785 JSON, ``chain.py``) on the head it expects, and
  passes that head's version *and* hash. Under the lock the function compares both with the stored head;
  if either differs it writes nothing and answers the head it found, and the caller reads and decides
  again. So a row is only ever linked to the hash that really precedes it.
- ``guards``: other streams' heads the decision read (the catalogue), compared the same way, unlocked,
  as the statements read them before (read committed).
- A write with an Idempotency-Key: when a live answer is kept for the key the function writes nothing and
  says so (the caller replays it); an expired one is deleted; the new answer goes in with the events. A
  twin committing the same key at the same moment makes the INSERT fail: all or nothing, as before.

Outcome (first column): ``appended`` (then ``positions`` and ``tx_id`` of the rows), ``moved`` (the stream's
head is not the expected one: ``version``/``hash`` are what was found), ``guard`` (a guarded head moved),
``answered`` (a live answer is kept for the key).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APPEND_FUNCTION = """
CREATE FUNCTION shiji_append(
    p_stream text, p_expected integer, p_previous_hash text,
    p_event_ids text[], p_event_types text[], p_schema_versions smallint[], p_data text[], p_effective_dates date[],
    p_recorded_at timestamptz, p_actor text, p_actor_role text, p_context text, p_hashes text[],
    p_guard_streams text[] DEFAULT NULL, p_guard_versions integer[] DEFAULT NULL, p_guard_hashes text[] DEFAULT NULL,
    p_key text DEFAULT NULL, p_request_hash text DEFAULT NULL, p_status smallint DEFAULT NULL,
    p_response text DEFAULT NULL, p_key_cutoff timestamptz DEFAULT NULL,
    OUT outcome text, OUT version integer, OUT hash text, OUT positions bigint[], OUT tx_id bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    found_version integer;
    found_hash text;
    i integer;
BEGIN
    -- The lock first, before any write: see the migration's docstring.
    PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));
    SELECT e.stream_version, e.hash INTO found_version, found_hash
      FROM events e WHERE e.stream_id = p_stream ORDER BY e.stream_version DESC LIMIT 1;
    IF NOT FOUND THEN
        found_version := 0;
        found_hash := '';
    END IF;
    IF found_version <> p_expected OR found_hash IS DISTINCT FROM p_previous_hash THEN
        outcome := 'moved'; version := found_version; hash := found_hash;
        RETURN;
    END IF;
    FOR i IN 1 .. coalesce(array_length(p_guard_streams, 1), 0) LOOP
        SELECT e.stream_version, e.hash INTO found_version, found_hash
          FROM events e WHERE e.stream_id = p_guard_streams[i] ORDER BY e.stream_version DESC LIMIT 1;
        IF NOT FOUND THEN
            found_version := 0;
            found_hash := '';
        END IF;
        IF found_version <> p_guard_versions[i] OR found_hash IS DISTINCT FROM p_guard_hashes[i] THEN
            outcome := 'guard';
            RETURN;
        END IF;
    END LOOP;
    IF p_key IS NOT NULL THEN
        IF EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.key = p_key AND k.recorded_at >= p_key_cutoff) THEN
            outcome := 'answered';
            RETURN;
        END IF;
        DELETE FROM idempotency_keys k WHERE k.key = p_key;
    END IF;
    WITH inserted AS (
        INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data, effective_date,
                            recorded_at, actor, actor_role, context, hash)
        SELECT p_stream, p_expected + r.n, r.event_id, r.event_type, r.schema_version, r.data::jsonb,
               r.effective_date, p_recorded_at, p_actor, p_actor_role, p_context::jsonb, r.hash
          FROM unnest(p_event_ids, p_event_types, p_schema_versions, p_data, p_effective_dates, p_hashes)
               WITH ORDINALITY AS r(event_id, event_type, schema_version, data, effective_date, hash, n)
         ORDER BY r.n
        RETURNING events.position, events.stream_version, events.tx_id)
    SELECT array_agg(ins.position ORDER BY ins.stream_version), max(ins.tx_id) INTO positions, tx_id FROM inserted ins;
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (key, request_hash, status_code, response, recorded_at)
        VALUES (p_key, p_request_hash, p_status, p_response::jsonb, now());
    END IF;
    outcome := 'appended';
    version := p_expected + coalesce(array_length(p_event_ids, 1), 0);
    hash := coalesce(p_hashes[array_length(p_hashes, 1)], p_previous_hash);
END
$fn$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION shiji_append")
