"""The public dates and times of query strings: ISO 8601 text only, within the range the services keep.

Pydantic would read a bare number as seconds since 1970 (``as_of=0`` was 1 January 1970, ``known_at=1700000000``
a moment of 2023); here such a value is refused with 422 naming the parameter. The schema states what is
enforced: the pattern (which holds the range too), the format, the range (``formatMinimum``/``formatMaximum`` and
the description) and, for a time, the UTC offset it needs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from shared.http import EARLIEST_MOMENT, LATEST_MOMENT

ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# RFC 3339, as the schema's `date-time` format says: seconds and a `+hh:mm` offset; 08:00 without seconds, a
# space for the T or +0800 were read once, and the schema's format refuses them (Schemathesis, issue 15).
_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
_OFFSET = r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
ISO_DATETIME = rf"^{_TIME}{_OFFSET}$"
RANGE = f"between {EARLIEST_MOMENT} and {LATEST_MOMENT}"
# The range in the schema's own terms, for clients and generators that do not read formatMinimum/formatMaximum
# (not JSON Schema 2020-12 keywords): a day from 1949-10-01 to 2199-12-31 (the format rules out 02-30 and the like).
_MONTH_DAY = "(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_DAY_IN_RANGE = rf"(1949-1[0-2]-(0[1-9]|[12][0-9]|3[01])|(19[5-9][0-9]|2[01][0-9]{{2}})-{_MONTH_DAY})"
DATE_IN_RANGE = rf"^{_DAY_IN_RANGE}$"
DATETIME_IN_RANGE = rf"^{_DAY_IN_RANGE}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?{_OFFSET}$"


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


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date), AfterValidator(_in_range), _schema("date", DATE_IN_RANGE)]
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime), AfterValidator(_in_range),
                        _schema("date-time", DATETIME_IN_RANGE)]

AsOf = Annotated[IsoDate | None, Query(description=f"effective date (YYYY-MM-DD, {RANGE}); default today")]
KnownAt = Annotated[IsoDateTime | None, Query(
    description=f"a recorded time in ISO 8601 with its UTC offset ({RANGE}), e.g. 2026-11-21T08:00:00+08:00: the "
                "record as it stood then")]
