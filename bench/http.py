"""A bare HTTP/1.1 keep-alive client for the benches: the least a client can add.

httpx spends a few milliseconds of CPU of its own per request on these machines, more than the
services it would be measuring, and one Python process driving 1,000 requests a second through it
measures httpx. This one writes the request line and headers and reads a Content-Length body.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any


class RawClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: dict[str, str]) -> None:
        self._reader, self._writer = reader, writer
        self._headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    @classmethod
    async def connect(cls, port: int, headers: dict[str, str] | None = None,
                      tls: ssl.SSLContext | None = None) -> RawClient:
        """A connection to ``port`` on loopback; HTTPS, checked with ``tls``, when given."""
        return cls(*await asyncio.open_connection("127.0.0.1", port, ssl=tls), headers or {})

    async def request(self, method: str, path: str, body: Any = None,
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        payload = json.dumps(body).encode() if body is not None else b""
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self._headers}{extra}"
                + (f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n" if payload else "") + "\r\n")
        self._writer.write(head.encode() + payload)
        await self._writer.drain()
        lines = (await self._reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        length = next((int(h.split(b":", 1)[1]) for h in lines if h.lower().startswith(b"content-length:")), 0)
        return int(lines[0].split()[1]), await self._reader.readexactly(length)

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self.request("GET", path)

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()
