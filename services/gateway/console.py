"""The web console (工作台) at /console: the built files of ``console/``, served as they are.

The console is a static single-page app that speaks only the public ``/api/v1`` from the same origin (no
CORS), so the gateway just hands out its files: ``scripts/up`` and ``scripts/test`` build them into
``console/dist`` when its sources change (``scripts/build-console``), the container image in a stage of its
own. When they are not built, ``/console`` answers a page that says how to build them, not a bare 404.

``/console/config.json`` tells the console what this wiring offers beside the API: the embedded wiring sets
``app.state.demo_sign_in`` (``services/demo_sign_in.py``) and ``app.state.demo_assessment`` (the demo's
assessment scheme and year, which the assessment page opens first: the API has no list of schemes); the
production wiring sets neither, and its users type the scheme they assess.

``python -m services.gateway.console openapi`` prints the public OpenAPI document the console's typed client
is generated from (``console/openapi.json``, at build time).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware


def _dist() -> Path:
    """``console/dist`` of a source checkout (scripts/build-console), else the installed environment's
    ``share/shiji-console`` (the container image copies the build there)."""
    checkout = Path(__file__).resolve().parents[2] / "console" / "dist"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "shiji-console"


CONSOLE_DIST = _dist()
NOT_BUILT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>实绩档案工作台 · Shiji console</title></head>
<body><main><h1>工作台尚未构建 · The console is not built</h1>
<p>运行 <code>scripts/up</code>（或 <code>scripts/build-console</code>）构建它。
Run <code>scripts/up</code> (or <code>scripts/build-console</code>) to build it; the API is at
<a href="/docs">/docs</a>.</p></main></body></html>
"""


def install_console(app: FastAPI, dist: Path = CONSOLE_DIST) -> None:
    """Serve ``dist`` at /console (its index.html for /console/), or the not-built page."""

    @app.get("/console", include_in_schema=False)
    async def console_root() -> RedirectResponse:
        return RedirectResponse("/console/")

    @app.get("/console/config.json", include_in_schema=False)
    async def console_config(request: Request) -> JSONResponse:
        return JSONResponse({"demo_sign_in": getattr(request.app.state, "demo_sign_in", None),
                             "assessment": getattr(request.app.state, "demo_assessment", None)},
                            headers={"Cache-Control": "no-store"})

    if (dist / "index.html").is_file():
        # Compressed on the way (gzip when the browser accepts it): the console's first load is mostly
        # JavaScript and CSS, which shrink to about a third; only /console, the API's answers are unchanged.
        app.mount("/console", GZipMiddleware(StaticFiles(directory=dist, html=True), minimum_size=1024, compresslevel=6),
                  name="console")
    else:
        @app.get("/console/{path:path}", include_in_schema=False)
        async def console_not_built(path: str) -> HTMLResponse:
            return HTMLResponse(NOT_BUILT, status_code=404)


def public_openapi() -> dict:
    """The gateway's public OpenAPI document, from an app that is built and never started."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from services.gateway.api import create_app
    from services.gateway.auth import TokenVerifier
    from services.gateway.settings import GatewaySettings
    from shared.service_identity import CallSigner

    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    app = create_app(GatewaySettings(dossier_url="http://dossier", scoring_url="http://scoring", service_ca_file=None),
                     verifier=TokenVerifier(public), signer=CallSigner.generated())
    return app.openapi()


if __name__ == "__main__":
    if sys.argv[1:] != ["openapi"]:
        sys.exit("usage: python -m services.gateway.console openapi")
    json.dump(public_openapi(), sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
