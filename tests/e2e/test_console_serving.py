"""The gateway serves the console at /console on both wirings; the demo sign-in exists only in the embedded one."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from services.gateway.auth import TokenVerifier
from services.gateway.bootstrap import build_app
from services.gateway.console import install_console
from services.gateway.settings import GatewaySettings
from tests.support.keys import public_pem, service_signer


def production_gateway() -> FastAPI:
    return build_app(GatewaySettings(dossier_url="http://dossier", scoring_url="http://scoring"),
                     verifier=TokenVerifier(public_pem()), signer=service_signer())


async def get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        return await client.get(path)


async def test_the_production_wiring_has_no_demo_sign_in() -> None:
    app = production_gateway()
    assert (await get(app, "/demo/people")).status_code == 404
    config = await get(app, "/console/config.json")
    assert config.json() == {"demo_sign_in": None, "assessment": None}
    assert "/demo/people" not in {getattr(r, "path", None) for r in app.routes}


async def test_the_console_is_served_when_built_and_explains_itself_when_not(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text("<!doctype html><title>console</title>")
    built, missing = FastAPI(), FastAPI()
    install_console(built, tmp_path / "dist")
    install_console(missing, tmp_path / "nothing")
    assert (await get(built, "/console")).status_code == 307
    r = await get(built, "/console/")
    assert r.status_code == 200 and "<title>console</title>" in r.text
    (tmp_path / "dist" / "app.js").write_text("console.log('shiji');\n" * 200)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=built), base_url="http://gateway") as client:
        r = await client.get("/console/app.js", headers={"Accept-Encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip" and int(r.headers["content-length"]) < 1000
        assert r.text == "console.log('shiji');\n" * 200
    r = await get(missing, "/console/")
    assert r.status_code == 404 and "scripts/build-console" in r.text
