"""Schemathesis hooks for scripts/schemathesis-deep (loaded through SCHEMATHESIS_HOOKS).

- The import's body (``application/x-ndjson``, like ``text/csv``) is sent as the text generated for it;
  Schemathesis has no serializer of its own for that media type.
- A fresh Idempotency-Key for each request that carries a valid one. The API's contract is "a fresh key per
  intended write; a retry with the same key returns the first answer": a key reused for a different request
  is refused with 422 ``idempotency-key-reused`` (deliberate, README "API conventions"). Schemathesis draws
  keys from the schema (any 1..200 characters), so it sends the same few keys ("0", ...) for different bodies
  and reads the 422 as a valid request refused. A key that breaks the schema (a negative case) is left as
  generated, and the missing-header check still sends none.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis
from schemathesis.transport import SerializationContext


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx: SerializationContext, value: Any) -> dict[str, Any]:
    if isinstance(value, bytes):
        return {"data": value}
    # A lone surrogate has no UTF-8 form: it is sent as "?", as any client would have to.
    return {"data": str(value).encode("utf-8", "replace")}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            value = headers[name]
            if isinstance(value, str) and 1 <= len(value) <= 200:
                headers[name] = str(uuid.uuid4())
