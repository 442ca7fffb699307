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

# 0006's function with the key's block replaced: 0006 is applied history and never changes, so its text is the
# base; the asserts say the block was there to replace.
_BEFORE = importlib.import_module("migrations.dossier.versions.0006_append_function").APPEND_FUNCTION
_KEY_TWICE = """    IF p_key IS NOT NULL THEN
        IF EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.key = p_key AND k.recorded_at >= p_key_cutoff) THEN
            outcome := 'answered';
            RETURN;
        END IF;
        DELETE FROM idempotency_keys k WHERE k.key = p_key;
    END IF;"""
_KEY_ONCE = """    IF p_key IS NOT NULL THEN
        -- One look at the key; a statement more only when an answer is kept for it.
        SELECT k.recorded_at INTO found_at FROM idempotency_keys k WHERE k.key = p_key;
        IF FOUND THEN
            IF found_at >= p_key_cutoff THEN
                outcome := 'answered';
                RETURN;
            END IF;
            DELETE FROM idempotency_keys k WHERE k.key = p_key;
        END IF;
    END IF;"""
_DECLARED = "    found_hash text;\n"
assert _KEY_TWICE in _BEFORE and _DECLARED in _BEFORE and "CREATE FUNCTION" in _BEFORE
APPEND_FUNCTION = (_BEFORE.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
                   .replace(_DECLARED, _DECLARED + "    found_at timestamptz;\n", 1).replace(_KEY_TWICE, _KEY_ONCE))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_BEFORE.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
