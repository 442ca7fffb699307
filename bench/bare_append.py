"""The reference a gateway write is compared with (issue 22): the least a Python web service does to take an
entry and store it. FastAPI validates the same command model the gateway does (``RecordEntry``), asyncpg
inserts one row (the Idempotency-Key unique, so a retry records nothing new), uvicorn serves it with the
same event loop and HTTP parser as ``shiji serve``. No token, no authorization, no access log, no hash
chain, no outbox: what Shiji's write adds on top of this is what the ratio measures.

    python -m bench.bare_append --port 8099 --dsn postgresql://...   (bench/gateway_cost.py starts it)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
import uvicorn
from fastapi import FastAPI, Header, Response

from shared.commands import RecordEntry

TABLE = """CREATE TABLE IF NOT EXISTS bare_entries (
    idempotency_key text PRIMARY KEY, cadre_id uuid NOT NULL, body jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now())"""
INSERT = ("INSERT INTO bare_entries (idempotency_key, cadre_id, body) VALUES ($1, $2, $3) "
          "ON CONFLICT (idempotency_key) DO NOTHING")


def create_app(dsn: str) -> FastAPI:
    pool: asyncpg.Pool | None = None

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=4, max_size=10)
        await pool.execute(TABLE)
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/cadres/{cadre_id}/entries", status_code=201)
    async def record(cadre_id: uuid.UUID, command: RecordEntry,
                     idempotency_key: Annotated[str, Header(alias="Idempotency-Key", max_length=200)]) -> Response:
        body = command.model_dump(mode="json", exclude_unset=True)
        assert pool is not None
        await pool.execute(INSERT, idempotency_key, cadre_id, json.dumps(body))
        return Response(json.dumps({"cadre_id": str(cadre_id), **body}), status_code=201,
                        media_type="application/json")

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.dsn), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
