"""The gateway's hop to dossier and scoring is encrypted (shared/service_tls.py), on the real processes:
plain HTTP to their ports gets no answer, a client that does not trust the private CA (or checks another
name) refuses the connection, and a gateway that trusts another CA cannot reach them."""

from __future__ import annotations

import ssl
import uuid
from pathlib import Path

import httpx
import pytest

from shared.service_tls import CA_CERT_FILE, client_context, ensure_service_certificates
from tests.support.production import ProductionSystem, wait_ready

SERVICES = ("dossier", "scoring")


def port_of(url: str) -> str:
    return url.rsplit(":", 1)[1]


@pytest.mark.parametrize("service", SERVICES)
async def test_the_service_answers_https_only(production: ProductionSystem, service: str) -> None:
    url = production.urls[service]
    assert url.startswith("https://")
    async with httpx.AsyncClient(verify=production.tls, timeout=10) as client:
        assert (await client.get(f"{url}/readyz")).status_code == 200
    async with httpx.AsyncClient(timeout=10) as plain:
        with pytest.raises(httpx.TransportError):  # the TLS layer drops it: no HTTP answer at all
            await plain.get(f"http://127.0.0.1:{port_of(url)}/readyz")
        with pytest.raises(httpx.TransportError):  # nor with the gateway's proof
            await plain.get(f"http://127.0.0.1:{port_of(url)}/v1/categories",
                            headers=production.proof(service))


@pytest.mark.parametrize("service", SERVICES)
async def test_a_client_that_does_not_trust_the_private_ca_refuses_the_service(
        production: ProductionSystem, service: str, tmp_path: Path) -> None:
    ensure_service_certificates(tmp_path / "other")
    for verify in (ssl.create_default_context(), client_context(tmp_path / "other" / CA_CERT_FILE)):
        async with httpx.AsyncClient(verify=verify, timeout=10) as client:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(f"{production.urls[service]}/readyz")


async def test_one_services_certificate_does_not_pass_for_the_other(production: ProductionSystem) -> None:
    """A certificate per service: dossier's names no scoring, so a stolen one cannot pose as the other."""
    for name, accepted in (("shiji-dossier", True), ("shiji-scoring", False)):
        async with httpx.AsyncClient(verify=production.tls, timeout=10) as client:  # a new connection for each name
            call = client.get(f"{production.dossier_url}/readyz", extensions={"sni_hostname": name})
            if accepted:
                assert (await call).status_code == 200
            else:
                with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                    await call


async def test_the_gateway_works_over_tls_and_a_gateway_trusting_another_ca_reaches_nothing(
        production: ProductionSystem, tmp_path: Path) -> None:
    unit = {"unit_id": f"tls-{uuid.uuid4().hex[:8]}", "name": "加密市", "level": "city", "unit_class": "city"}
    auth = {"Authorization": f"Bearer {production.token(subject='clerk-tls', unit=unit['unit_id'])}"}
    async with httpx.AsyncClient(base_url=production.gateway_url, timeout=30) as gateway:
        r = await gateway.post("/api/v1/units", json=unit, headers={**auth, "Idempotency-Key": unit["unit_id"]})
        assert r.status_code == 201, r.text
        assert (await gateway.get("/api/v1/categories", headers=auth)).status_code == 200
    ensure_service_certificates(tmp_path / "other")
    proc = production.launch("gateway-2", extra_env={"SHIJI_GATEWAY_SERVICE_CA_FILE": str(tmp_path / "other" / CA_CERT_FILE)})
    await wait_ready(f"{production.urls['gateway-2']}/healthz", [proc])  # never ready: it reaches neither service
    async with httpx.AsyncClient(base_url=production.urls["gateway-2"], timeout=30) as fooled:
        assert (await fooled.get("/readyz")).status_code == 503
        r = await fooled.get("/api/v1/categories", headers=auth)
        assert r.status_code == 503, r.text
        assert r.json()["type"].endswith("upstream-unavailable"), r.text
        assert "Certificate" in r.json()["detail"], r.text  # aiohttp's ClientConnectorCertificateError
