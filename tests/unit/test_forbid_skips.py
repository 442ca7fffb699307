"""Nothing may quietly not run: a skip, an xfail or an xpass fails the run, unless SHIJI_FORBID_SKIPS=0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BODIES = {
    "skipped": "import pytest\n\ndef test_it():\n    pytest.skip('later')\n",
    "xfailed": "import pytest\n\n@pytest.mark.xfail(reason='known')\ndef test_it():\n    assert False\n",
    "xpassed": "import pytest\n\n@pytest.mark.xfail(reason='known')\ndef test_it():\n    assert True\n",
    "passed": "def test_it():\n    assert True\n",
}


def inner_run(tmp_path: Path, outcomes: list[str], forbid: str | None) -> subprocess.CompletedProcess:
    """A pytest session over one test per outcome, with the suite's conftest as its plugin."""
    for outcome in outcomes:
        (tmp_path / f"test_{outcome}.py").write_text(BODIES[outcome])
    env = {k: v for k, v in os.environ.items() if k != "SHIJI_FORBID_SKIPS"}
    env["PYTHONPATH"] = str(REPO)
    if forbid is not None:
        env["SHIJI_FORBID_SKIPS"] = forbid
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), str(tmp_path)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)


def test_skips_xfails_and_xpasses_fail_a_plain_run_unless_allowed(tmp_path: Path) -> None:
    not_counted = ["skipped", "xfailed", "xpassed"]
    run = inner_run(tmp_path, not_counted, None)  # a plain pytest enforces it, as scripts/test does
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout + run.stderr
    assert "SHIJI_FORBID_SKIPS: 1 skipped, 1 xfailed, 1 xpassed; failing the run" in run.stdout, run.stdout
    allowed = inner_run(tmp_path, not_counted, "0")
    assert allowed.returncode == pytest.ExitCode.OK, allowed.stdout + allowed.stderr


def test_a_run_where_everything_ran_passes(tmp_path: Path) -> None:
    run = inner_run(tmp_path, ["passed"], None)
    assert run.returncode == pytest.ExitCode.OK and "SHIJI_FORBID_SKIPS" not in run.stdout, run.stdout
