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
(``day_sheet``: the verdicts the projection holds now, kept). The sheet holds only the present, so a page after
the first is read from it only while it is exactly as the first page read it: the cursor then carries the sheet's
mark (``day_sheet.reads.mark``: its highest write number and row count, given only while no refresh is filling
it), and a page whose mark still matches reads the sheet by keyset (a city's page in milliseconds instead of a
second). Once anything changed the sheet, the page is screened on read as known at the cursor's moment, as
before: either way the pages are the list of the first page's moment."""

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
    """Where a page starts: after ``after``, in the list answered as of ``as_of`` as known at ``known_at``; ``sheet``:
    the day sheet's mark when the first page was read from it (None: the pages are screened on read)."""

    after: str
    as_of: dt.date
    known_at: dt.datetime
    sheet: str | None = None

    def encode(self) -> str:
        fields = [self.after, self.as_of.isoformat(), self.known_at.isoformat()]
        raw = json.dumps(fields if self.sheet is None else [*fields, self.sheet])
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def decode(cls, cursor: str) -> Cursor:
        try:
            after, as_of, known_at, *mark = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            moment = dt.datetime.fromisoformat(known_at)
            sheet = mark[0] if len(mark) == 1 else None
            if not isinstance(after, str) or moment.tzinfo is None or len(mark) > 1 or not isinstance(sheet, str | None):
                raise ValueError("not a cursor")
            return cls(after, dt.date.fromisoformat(as_of), moment, sheet)
        except (ValueError, TypeError, UnicodeError) as exc:
            raise invalid("cursor", "cursor_format", "not a cursor this list gave out") from exc


def page_of(ids: list[str], after: str | None, limit: int | None) -> tuple[list[str], bool]:
    """The ids (sorted) after ``after``, at most ``limit`` of them (every one when None); and whether more follow."""
    rest = ids if after is None else ids[bisect.bisect_right(ids, after):]
    if limit is None:
        return rest, False
    return rest[:limit], len(rest) > limit

