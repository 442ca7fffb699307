"""The gateway's composition root: the app with the adapters its settings name.

``shiji serve gateway`` and the tests that build a gateway by hand both call ``build_app``; a test swaps
an adapter by argument (a verifier of its own key, a transport to stub services) instead of patching."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from services.gateway.api import create_app
from services.gateway.auth import TokenVerifier
from services.gateway.settings import GatewaySettings, verifier_from
from shared.service_identity import CallSigner, signer_from
from shared.settings import env_name


def build_app(settings: GatewaySettings, *, verifier: TokenVerifier | None = None, signer: CallSigner | None = None,
              dossier_transport: httpx.AsyncBaseTransport | None = None,
              scoring_transport: httpx.AsyncBaseTransport | None = None,
              tracer_provider: TracerProvider | None = None) -> FastAPI:
    """The gateway app. Unless given, the token verifier is the one the settings describe (ValueError unless
    they name exactly one key source), so is the signer of its calls to the services (ValueError without
    ``service_key_file``), the services are reached over HTTP at their URLs, and the tracer provider is the
    one the ``OTEL_*`` variables describe."""
    if signer is None:
        signer = signer_from(settings.service_key_file, env_name(GatewaySettings, "service_key_file"))
    return create_app(settings, verifier=verifier if verifier is not None else verifier_from(settings), signer=signer,
                      dossier_transport=dossier_transport, scoring_transport=scoring_transport,
                      tracer_provider=tracer_provider)
