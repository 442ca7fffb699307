"""``shiji verify --cadre ID --hash H``: whether a chain hash read off a printed form (its footer: 档案版本 vN ·
链哈希 sm3:…) is the record's as of that version.

The store is asked for the cadre's stream, and the chain is recomputed from the first event to the version the
hash names: a page matches only if the hash it prints is what the events up to that version hash to now, so a
page printed from a record that was later altered in place (not by a new event) no longer matches. The answer says
which version the page shows, when it was recorded, and what was recorded after it (a printed page is a moment;
later events do not make it wrong, they make it old).

A clerk copies the hash by hand: spaces and line breaks in it are ignored, letters may be upper case, and the
algorithm's prefix (``sm3:``) may be left out. ``--version`` (the vN printed beside it) is checked too."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared import chain


@dataclass(frozen=True)
class PrintedCheck:
    matches: bool
    message: str


def normalised(printed: str) -> str:
    return "".join(printed.split()).lower()


def _same(stored: str | None, printed: str) -> bool:
    if not stored:
        return False
    return stored == printed if ":" in printed else stored.split(":", 1)[-1] == printed


def check_printed(cadre_id: str, events: Sequence[Any], printed: str, version: int | None = None) -> PrintedCheck:
    """The verdict on ``printed`` (and, if given, the ``version`` printed beside it) against ``events``, the
    cadre's stream as stored, oldest first."""
    printed = normalised(printed)
    if not events:
        return PrintedCheck(False, f"NO RECORD: no cadre {cadre_id} in this store")
    current = events[-1].stream_version
    if version is not None:
        sealed = next((e for e in events if e.stream_version == version), None)
        if sealed is None:
            return PrintedCheck(False, f"NO MATCH: cadre {cadre_id} has no version {version} (versions 1–{current})")
    else:
        sealed = next((e for e in events if _same(e.hash, printed)), None)
        if sealed is None:
            return PrintedCheck(False, f"NO MATCH: {printed} is not the hash of any version of cadre {cadre_id} "
                                       f"(versions 1–{current}): the page was not printed from this record, or the "
                                       "hash was copied wrongly")
    upto = [e for e in events if e.stream_version <= sealed.stream_version]
    if broken := chain.verify_stream(upto):
        return PrintedCheck(False, f"BROKEN: the record's chain breaks at version {broken.stream_version} "
                                   f"({broken.problem}): the store cannot vouch for version {sealed.stream_version}")
    if not _same(sealed.hash, printed):
        return PrintedCheck(False, f"NO MATCH: version {version} of cadre {cadre_id} hashes to {sealed.hash}, "
                                   f"not {printed}")
    recorded = sealed.recorded_at.astimezone(dt.UTC).isoformat(timespec="seconds")
    head = (f"MATCHES: the page shows version {sealed.stream_version} of cadre {cadre_id}, recorded {recorded}; "
            f"its chain from the first event recomputes to {sealed.hash}")
    later = events[sealed.stream_version:]
    if not later:
        return PrintedCheck(True, f"{head}. It is the record as it stands now.")
    kinds = ", ".join(f"{n} {kind}" for kind, n in Counter(e.event_type for e in later).most_common())
    return PrintedCheck(True, f"{head}. Recorded since: {len(later)} event(s) ({kinds}); the record is now at "
                              f"version {current}.")


async def verify_printed(url: str, cadre_id: str, printed: str, version: int | None) -> int:
    from services.dossier.service import DossierService
    from shared.db import make_engine

    engine = make_engine(url, pool_size=1)
    try:
        events = await DossierService(engine, today=dt.date.today).history(cadre_id)
    finally:
        await engine.dispose()
    verdict = check_printed(cadre_id, events, printed, version)
    print(verdict.message)
    return 0 if verdict.matches else 1
