"""What every bench prints first: the machine it ran on, and the median helpers they share."""

from __future__ import annotations

import os
import platform
import statistics
from pathlib import Path


def machine() -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{platform.node()}: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; load average {load}")


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def replace_section(results: Path, begin: str, end: str, block: str) -> None:
    """Put ``block`` between the ``begin`` and ``end`` markers of ``results`` (bench/RESULTS.md), or at its end."""
    text = results.read_text(encoding="utf-8")
    marked = f"{begin}\n{block}\n{end}"
    if begin in text:
        text = text[:text.index(begin)] + marked + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + marked + "\n"
    results.write_text(text, encoding="utf-8")
