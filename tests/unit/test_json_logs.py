"""Structured logs: a line written while a request is handled is JSON and carries its request id."""

from __future__ import annotations

import io
import json
import logging

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from shared.logs import JsonFormatter, RequestIdFilter
from shared.telemetry import install_telemetry


async def test_a_log_line_written_for_a_request_is_json_with_its_request_id() -> None:
    app = FastAPI()
    install_telemetry(app, "probe", TracerProvider().get_tracer("probe"))

    @app.get("/work")
    async def work() -> dict[str, str]:
        logging.getLogger("probe.work").info("did the work", extra={"cadre_id": "c-1"})
        return {}

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter("probe"))
    logger = logging.getLogger("probe.work")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:
            r = await client.get("/work", headers={"X-Request-Id": "req-42"})
        assert r.headers["x-request-id"] == "req-42"
        logger.info("outside any request")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in out.getvalue().splitlines())
    assert inside["request_id"] == "req-42" and inside["message"] == "did the work" and inside["cadre_id"] == "c-1"
    assert inside["service"] == "probe" and inside["level"] == "info" and inside["logger"] == "probe.work"
    assert outside["request_id"] is None
