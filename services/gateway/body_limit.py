"""A ceiling on request bodies: a larger one is refused with 413 before it is read into memory.

Without it the gateway read any body whole and let validation refuse it afterwards (a 5 MB title
was parsed, then answered 422). The largest valid request, an entry with every text at its maximum
length in three-byte characters, is under 20 KiB; the default ceiling leaves room for JSON escapes.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 64 * 1024


class BodySizeLimit:
    """ASGI middleware: a declared Content-Length over the ceiling is refused before anything is read;
    a body without one (chunked) is counted as it arrives and refused when it passes the ceiling."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 per_path: dict[str, int] | None = None) -> None:
        """``per_path``: other ceilings for exact paths (a bulk import's file is far larger than a command)."""
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = per_path or {}

    @staticmethod
    def _too_large(max_bytes: int) -> HTTPException:
        # Raised from ``receive``: FastAPI lets an HTTPException from body reading through, and the
        # problem handlers render it as problem+json.
        return HTTPException(413, f"The request body is larger than {max_bytes} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.per_path.get(scope.get("path", ""), self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        over = declared is not None and (not declared.isdigit() or int(declared) > max_bytes)
        received = 0

        async def limited() -> Message:
            nonlocal received
            if over:
                raise self._too_large(max_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise self._too_large(max_bytes)
            return message

        await self.app(scope, limited, send)
