"""Page cursors of the public lists: where the previous page ended, in the list's own order, as opaque
URL-safe base64 of a JSON array. A list answers ``next`` (null on its last page); a cursor it did not give
out is refused with 422 ``cursor_format`` (the rules of the warnings list, ``services/scoring/views.py``)."""

from __future__ import annotations

import base64
import json
from typing import Any

from shared.http import invalid

__all__ = ["decode", "encode", "invalid"]


def encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, ensure_ascii=False).encode()).decode()


def decode(cursor: str, arity: int) -> list[str]:
    """The ``arity`` strings a cursor of ``encode`` holds; 422 for anything else."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, UnicodeError) as exc:
        raise invalid("cursor", "cursor_format", "not a cursor this list gave out") from exc
    if not (isinstance(values, list) and len(values) == arity and all(isinstance(v, str) for v in values)):
        raise invalid("cursor", "cursor_format", "not a cursor this list gave out")
    return values
