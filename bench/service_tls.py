"""What HTTPS adds to one call of the gateway to a service (shared/service_tls.py), side by side with HTTP.

Two uvicorn servers of a small app (a 1 KB JSON answer, about a score's size), one plain, one with a
certificate of a private CA made here (as ``shiji serve`` runs it); the client is the gateway's (an aiohttp
session, services/gateway/upstream.py). Blocks of ``--calls`` sequential calls, plain and TLS alternating,
``--rounds`` times:

- on a kept-alive connection (what the gateway does: its pool keeps them): the per-call cost of encrypting;
- on a new connection per call (``force_close``): what a handshake costs, paid once per pooled connection.

Run: ``.venv/bin/python -m bench.service_tls``. Prints the medians per call (µs) and the differences.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from shared.service_tls import CA_CERT_FILE, client_context, ensure_service_certificates
from tests.support.production import free_port, wait_ready

BODY = json.dumps({"total": 12.5, "entries": [{"id": n, "points": 1.5, "title": "x" * 20} for n in range(20)]}).encode()


async def app(scope, receive, send) -> None:  # the smallest ASGI app answering like a service
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})


def serve(port: int, tls: tuple[Path, Path] | None) -> subprocess.Popen:
    extra = ["--ssl-certfile", str(tls[0]), "--ssl-keyfile", str(tls[1])] if tls else []
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.service_tls:app", "--port", str(port),
                             "--log-level", "warning", "--no-access-log", *extra])


async def per_call_us(url: str, calls: int, ssl_context, keep_alive: bool) -> float:
    connector = aiohttp.TCPConnector(ssl=ssl_context if ssl_context is not None else True, force_close=not keep_alive)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(url) as r:  # the first connection (and handshake) outside the timing
            await r.read()
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            async with session.get(url) as r:
                await r.read()
            times.append((time.perf_counter() - started) * 1e6)
    return statistics.median(times)


async def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    folder = Path(tempfile.mkdtemp(prefix="shiji-bench-tls-"))
    cert, key = ensure_service_certificates(folder, ("dossier",))["dossier"]
    context = client_context(folder / CA_CERT_FILE)
    ports = {"http": free_port(), "https": free_port()}
    procs = {"http": serve(ports["http"], None), "https": serve(ports["https"], (cert, key))}
    results: dict[str, list[float]] = {f"{s} {c}": [] for s in ports for c in ("kept-alive", "new connection")}
    try:
        await wait_ready(f"http://127.0.0.1:{ports['http']}/", [procs["http"]])
        await wait_ready(f"https://127.0.0.1:{ports['https']}/", [procs["https"]], tls=context)
        for n in range(args.rounds):
            for scheme in ("http", "https") if n % 2 == 0 else ("https", "http"):
                url = f"{scheme}://127.0.0.1:{ports[scheme]}/"
                ssl_context = context if scheme == "https" else None
                results[f"{scheme} kept-alive"].append(await per_call_us(url, args.calls, ssl_context, True))
                results[f"{scheme} new connection"].append(
                    await per_call_us(url, args.calls // 4, ssl_context, False))
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    results = asyncio.run(measure(args))
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    medians = {k: statistics.median(v) for k, v in results.items()}
    for name, value in medians.items():
        print(f"{name}: median per call {value:.0f} µs (rounds: {', '.join(f'{v:.0f}' for v in results[name])})")
    for kind in ("kept-alive", "new connection"):
        plain, tls = medians[f"http {kind}"], medians[f"https {kind}"]
        print(f"{kind}: https - http = {tls - plain:+.0f} µs per call (https/http {tls / plain:.2f})")


if __name__ == "__main__":
    main()
