"""Crash points, and telling a database that is down from a query it refused."""

from __future__ import annotations

import subprocess
import sys

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError

from shared import faults
from shared.commands import control_character
from shared.db import PoolTimeout, database_unavailable


def test_the_plan_names_points_and_passes() -> None:
    assert faults._parse("relay.after_publish:3, consumer.after_commit") == {
        "relay.after_publish": 3, "consumer.after_commit": 1}
    assert faults._parse("") == {}
    with pytest.raises(ValueError, match="unknown crash point"):
        faults._parse("relay.after_pubish")


def test_an_armed_point_raises_at_its_nth_pass_only() -> None:
    faults.arm("relay.after_publish", nth=2)
    try:
        faults.crash_point("relay.after_publish")
        faults.crash_point("consumer.after_commit")  # another point: nothing
        with pytest.raises(faults.SimulatedCrash):
            faults.crash_point("relay.after_publish")
        faults.crash_point("relay.after_publish")  # fired once, then gone
    finally:
        faults.disarm()


def test_a_point_named_in_the_environment_ends_the_process_on_the_spot() -> None:
    code = ("from shared import faults\n"
            "faults.crash_point('dossier.after_commit')\n"
            "print('passed once', flush=True)\n"
            "try:\n"
            "    faults.crash_point('dossier.after_commit')\n"
            "finally:\n"
            "    print('finally blocks do not run')\n")
    done = subprocess.run([sys.executable, "-c", code], env={"SHIJI_FAULT_CRASH_AT": "dossier.after_commit:2"},
                          capture_output=True, text=True)
    assert done.returncode == faults.EXIT_CODE
    assert done.stdout.strip() == "passed once"
    assert "crashing at dossier.after_commit" in done.stderr


def wrapped(orig: BaseException) -> DBAPIError:
    return DBAPIError("INSERT ...", {}, orig)


@pytest.mark.parametrize(("exc", "unavailable"), [
    (ConnectionRefusedError(111, "Connect call failed"), True),  # asyncpg raises a refused connect raw
    (wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")), True),
    (wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection")), True),
    (wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")), True),
    (wrapped(asyncpg.exceptions.StringDataRightTruncationError("value too long")), False),
    (wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key")), False),
    (PoolTimeout("QueuePool limit of size 10 overflow 0 reached"), True),  # every pooled connection busy
    (ValueError("a bug"), False),
])
def test_database_unavailable_looks_through_the_chain_of_causes(exc: BaseException, unavailable: bool) -> None:
    assert database_unavailable(exc) is unavailable
    try:
        raise RuntimeError("while applying a batch") from exc
    except RuntimeError as outer:
        assert database_unavailable(outer) is unavailable


def test_control_characters_are_found_where_they_hide() -> None:
    assert control_character("先进\u0000个人") == "U+0000"
    assert control_character({"reason": "ok", "document": ["a", "b\u001b"]}) == "document.1: U+001B"
    assert control_character("tabs\tand\nnew lines\r are text") is None
    assert control_character(42) is None
