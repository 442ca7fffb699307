"""What the gateway's proof costs per call (shared/service_identity.py): signing and checking a token, new and
reused. ``python -m bench.service_identity``; medians of 7 runs of N calls each."""

from __future__ import annotations

import statistics
import time

from bench.machine import machine
from shared.service_identity import CallSigner, CallVerifier


def per_call_us(fn, n: int) -> float:
    runs = []
    for _ in range(7):
        started = time.perf_counter()
        for i in range(n):
            fn(i)
        runs.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(runs)


def main() -> None:
    print(machine())
    signer = CallSigner.generated()
    verifier = CallVerifier("dossier", [signer.public_key])
    reused = signer.header("dossier", "clerk-1", "clerk")["Authorization"]
    # New tokens: one per distinct user, so neither side's cache answers.
    fresh = [signer.header("dossier", f"user-{i}", "clerk")["Authorization"] for i in range(7 * 2000)]
    queue = iter(fresh)
    figures = {
        "sign, reused token (the gateway, same user within a minute)": per_call_us(
            lambda i: signer.header("dossier", "clerk-1", "clerk"), 20000),
        "check, reused token (a service, token seen before)": per_call_us(lambda i: verifier.verify(reused), 20000),
        "sign, new token": per_call_us(lambda i: CallSigner(signer._key).header("dossier", f"u{i}", "clerk"), 2000),
        "check, new token": per_call_us(lambda i: verifier.verify(next(queue)), 2000),
    }
    for name, us in figures.items():
        print(f"{name:62s} {us:8.1f} µs")


if __name__ == "__main__":
    main()
