"""The CPU the PostgreSQL server spends for one bench database: its backends' CPU seconds, read from /proc.

On the development VM PostgreSQL runs on the same two cores as the client, so an append's cost is the
client's CPU *and* its backend's: a path that spends less in Python but more in the server is not faster
when the cores are the limit. ``BackendCpu`` polls ``pg_stat_activity`` for the backends connected to the
database and, for each, keeps the last CPU time (user + system, since the backend started) seen in
``/proc/<pid>/stat``; ``seconds()`` is their sum minus what they had used when first seen. A backend that
connects and exits between two polls is missed, so the bench's writers hold their connections for the
whole measurement (each path's pool, Emmett's pool, the library's pool). Linux only, server on this host;
elsewhere the figure is None.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # psycopg is the bench extra's: imported when polling, so that importing this costs nothing
    import psycopg

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used, or None when it is gone or /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


class BackendCpu:
    """Poll the backends of ``database`` every ``interval`` seconds in a thread, between ``start`` and ``stop``."""

    def __init__(self, admin_dsn: str, database: str, interval: float = 0.1) -> None:
        self._dsn, self._database, self._interval = admin_dsn, database, interval
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self.available = Path("/proc/self/stat").exists()

    def _sample(self, conn: psycopg.Connection) -> None:
        pids = [pid for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                               (self._database,))]
        for pid in pids:
            if (cpu := process_cpu_seconds(pid)) is not None:
                self._first.setdefault(pid, cpu)
                self._last[pid] = cpu

    def _poll(self) -> None:
        import psycopg

        with psycopg.connect(self._dsn, autocommit=True) as conn:
            while not self._stop.is_set():
                self._sample(conn)
                self._stop.wait(self._interval)
            self._sample(conn)

    def start(self) -> BackendCpu:
        if self.available:
            self._thread.start()
        return self

    def stop(self) -> float | None:
        """The backends' CPU seconds while polled (None where /proc cannot be read)."""
        if not self.available:
            return None
        self._stop.set()
        self._thread.join()
        return sum(self._last[pid] - self._first[pid] for pid in self._last)
