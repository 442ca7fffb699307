"""Paging a jurisdiction's screening (issue 18): a whole city is 68,553 cadres, too many for one answer that a
reader (the gateway writing a workbook) must hold whole.

A page is the next ``limit`` cadres of the list after the cursor, in the list's order: the cadre number
(``cadres_under`` sorts by it). The cursor is keyset, not an offset: it names the last cadre given and the moment
the list is answered as of (``as_of``) and as known at (``known_at``), and every page after the first is answered
at those, whatever the call says. Hence the guarantee: across the pages of one list every cadre registered by that
``known_at`` is given exactly once, in cadre-number order, with the verdict as known at that moment; a score that
changes while the pages are read changes no page after the first (the first reads the projection as it stands
when it runs, which is at or just after that moment), and a cadre registered meanwhile is not listed.

The whole list and the first page, asked as held now, are read from the kept day sheet when it answers the day
(``day_sheet``: the verdicts the projection holds now, kept); pages after the first are answered as known at the
cursor's moment, screened on read as before (the sheet holds only the present)."""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import json
from dataclasses import dataclass

from shared.http import invalid

MAX_SCREENING_PAGE = 5000  # the largest page scoring answers: a few MiB of JSON


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after ``after``, in the list answered as of ``as_of`` as known at ``known_at``."""

    after: str
    as_of: dt.date
    known_at: dt.datetime

    def encode(self) -> str:
        raw = json.dumps([self.after, self.as_of.isoformat(), self.known_at.isoformat()])
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def decode(cls, cursor: str) -> Cursor:
        try:
            after, as_of, known_at = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            moment = dt.datetime.fromisoformat(known_at)
            if not isinstance(after, str) or moment.tzinfo is None:
                raise ValueError("not a cursor")
            return cls(after, dt.date.fromisoformat(as_of), moment)
        except (ValueError, TypeError, UnicodeError) as exc:
            raise invalid("cursor", "cursor_format", "not a cursor this list gave out") from exc


def page_of(ids: list[str], after: str | None, limit: int | None) -> tuple[list[str], bool]:
    """The ids (sorted) after ``after``, at most ``limit`` of them (every one when None); and whether more follow."""
    rest = ids if after is None else ids[bisect.bisect_right(ids, after):]
    if limit is None:
        return rest, False
    return rest[:limit], len(rest) > limit

