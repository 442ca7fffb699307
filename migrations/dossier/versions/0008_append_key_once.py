"""``shiji_append`` looks at a write's Idempotency-Key once (issue 22, round three).

Migration 0006's function asked whether a live answer was kept for the key (``EXISTS``) and then deleted any
expired one, whether or not there was one: two statements on ``idempotency_keys`` for every keyed write,
nearly always finding nothing. Now one read of the key's row; the DELETE runs only when an expired answer is
there. Same outcomes (``answered`` for a live answer, an expired one deleted and the key used afresh), same
signature; everything else as in 0006, whose docstring says why the function keeps every guarantee.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import importlib

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION shiji_append(
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
    found_at timestamptz;
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
        -- One look at the key; a statement more only when an answer is kept for it.
        SELECT k.recorded_at INTO found_at FROM idempotency_keys k WHERE k.key = p_key;
        IF FOUND THEN
            IF found_at >= p_key_cutoff THEN
                outcome := 'answered';
                RETURN;
            END IF;
            DELETE FROM idempotency_keys k WHERE k.key = p_key;
        END IF;
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
        before = importlib.import_module("migrations.dossier.versions.0006_append_function").APPEND_FUNCTION
        op.execute(before.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
