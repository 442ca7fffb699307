"""The public dates and times of query strings: ISO 8601 text only, within the range the services keep.

Pydantic would read a bare number as seconds since 1970 (``as_of=0`` was 1 January 1970, ``known_at=1700000000``
a moment of 2023); here such a value is refused with 422 naming the parameter. The schema states what is
enforced: the pattern, the format, the range (``formatMinimum``/``formatMaximum`` and the description) and, for a
time, the UTC offset it needs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from shared.http import EARLIEST_MOMENT, LATEST_MOMENT

ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?"
ISO_DATETIME = rf"^{_TIME}([Zz]|[+-][0-9]{{2}}:?[0-9]{{2}})$"
RANGE = f"between {EARLIEST_MOMENT} and {LATEST_MOMENT}"


def _iso_date(value: Any) -> Any:
    if not (isinstance(value, str) and re.fullmatch(ISO_DATE, value)):
        raise PydanticCustomError("iso_date", "give a date as YYYY-MM-DD, e.g. 2026-11-21")
    return value


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(f"^{_TIME}$", value):
        raise PydanticCustomError("timezone_required", "give the time with its UTC offset, e.g. 2026-11-21T08:00:00+08:00")
    if not (isinstance(value, str) and re.fullmatch(ISO_DATETIME, value)):
        raise PydanticCustomError("iso_datetime", "give a time in ISO 8601 with its UTC offset, "
                                                  "e.g. 2026-11-21T08:00:00+08:00")
    return value


def _in_range(value: Any) -> Any:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST_MOMENT <= day <= LATEST_MOMENT:
        raise PydanticCustomError("date_range", f"must be {RANGE}")
    return value


def _schema(fmt: str, pattern: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "format": fmt, "pattern": pattern,
                           "formatMinimum": EARLIEST_MOMENT.isoformat(), "formatMaximum": LATEST_MOMENT.isoformat()})


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date), AfterValidator(_in_range), _schema("date", ISO_DATE)]
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime), AfterValidator(_in_range),
                        _schema("date-time", ISO_DATETIME)]

AsOf = Annotated[IsoDate | None, Query(description=f"effective date (YYYY-MM-DD, {RANGE}); default today")]
KnownAt = Annotated[IsoDateTime | None, Query(
    description=f"a recorded time in ISO 8601 with its UTC offset ({RANGE}), e.g. 2026-11-21T08:00:00+08:00: the "
                "record as it stood then")]
