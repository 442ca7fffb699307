"""deploy/: what the schema validators (deploy/validate) cannot see, the references between the files
and the code: variable names, required settings, ports, probes, replicas = partitions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.configuration import SECTIONS
from services.dossier.settings import DossierSettings
from services.gateway.settings import GatewaySettings
from services.scoring.settings import ScoringSettings
from shared.settings import env_name, production_problems

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "kubernetes"
SETTINGS = {"dossier": DossierSettings, "scoring": ScoringSettings, "gateway": GatewaySettings}
KNOWN = {env_name(cls, name) for cls, _ in SECTIONS for name in cls.model_fields}


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def k8s(kind: str, name: str) -> dict[str, Any]:
    for path in K8S.glob("*.yaml"):
        for doc in documents(path):
            if doc.get("kind") == kind and doc["metadata"]["name"] == name:
                return doc
    raise AssertionError(f"no {kind} {name} under deploy/kubernetes")


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def config_map() -> dict[str, str]:
    return k8s("ConfigMap", "shiji-config")["data"]


def settings_problems(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], service: str) -> list[str]:
    """What production mode would say about ``service`` started with exactly ``env``."""
    import os

    for name in list(os.environ):
        if name.startswith("SHIJI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SHIJI_SECRETS_DIR", "/nonexistent")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return production_problems(SETTINGS[service]())


def test_every_shiji_variable_named_in_deploy_is_a_real_setting() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in [DEPLOY / "compose.yaml", *K8S.glob("*.yaml"),
                                                               DEPLOY / "container" / "Dockerfile"])
    named = set(re.findall(r"\bSHIJI_[A-Z0-9_]+\b", text))
    assert named and named <= KNOWN, f"unknown settings: {sorted(named - KNOWN)}"


@pytest.mark.parametrize("service", ["dossier", "scoring", "gateway"])
def test_compose_sets_everything_production_mode_requires(monkeypatch: pytest.MonkeyPatch, service: str) -> None:
    spec = compose()["services"][service]
    assert spec["command"] == ["serve", service]
    problems = settings_problems(monkeypatch, spec["environment"], service)
    # The laptop stack is plaintext and trusts its private network (compose.yaml says so): production mode
    # refuses it for that, and for nothing else.
    transport = [p for p in problems if "TLS" in p or "role" in p or "superuser" in p]
    assert problems == transport
    assert bool(transport) == (service != "gateway")


@pytest.mark.parametrize("service", ["dossier", "scoring", "gateway"])
def test_kubernetes_sets_everything_production_mode_requires(monkeypatch: pytest.MonkeyPatch, service: str) -> None:
    pod = k8s("Deployment", f"shiji-{service}")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["serve", service]
    env = dict(config_map())
    # Secrets arrive as files in /run/secrets named like their variable (shared/settings.py).
    mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
    for volume in pod.get("volumes", []):
        if volume.get("secret", {}).get("secretName") == "shiji-secrets":
            secrets = [volume["secret"]]
        else:  # a projected volume: the shared secrets and the service's own Kafka password
            secrets = [source["secret"] for source in volume.get("projected", {}).get("sources", [])
                       if "secret" in source]
        if secrets:
            assert mounts[volume["name"]] == "/run/secrets"
        for secret in secrets:
            for item in secret["items"]:
                assert item["path"] == item["key"] and item["key"].upper() in KNOWN
                env[item["key"].upper()] = ("postgresql+asyncpg://shiji:from-the-secret@db/shiji"
                                            "?sslmode=verify-full&sslrootcert=/etc/shiji/tls/postgres-ca.crt")
    for variable in container.get("env", []):
        env[variable["name"]] = variable["value"]
    assert settings_problems(monkeypatch, env, service) == []


@pytest.mark.parametrize("service", ["dossier", "scoring", "gateway"])
def test_deployments_probe_serve_and_are_bounded(service: str) -> None:
    deployment = k8s("Deployment", f"shiji-{service}")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    port = SETTINGS[service].model_fields["port"].default
    # Dossier and scoring serve HTTPS only (the gateway's calls, the probes, Prometheus); the gateway plain HTTP
    # behind the ingress that ends the public TLS.
    name, scheme = ("http", {}) if service == "gateway" else ("https", {"scheme": "HTTPS"})
    assert container["ports"] == [{"name": name, "containerPort": port}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": name, **scheme}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": name, **scheme}
    assert set(container["resources"]) == {"requests", "limits"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port) and annotations["prometheus.io/path"] == "/metrics"
    assert annotations.get("prometheus.io/scheme", "http") == name
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service_ = k8s("Service", f"shiji-{service}")
    assert service_["spec"]["selector"].items() <= labels.items()
    assert service_["spec"]["ports"][0]["port"] == port
    assert k8s("PodDisruptionBudget", f"shiji-{service}")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    # The gateway reaches the others through their Services.
    if service != "gateway":
        assert config_map()[f"SHIJI_GATEWAY_{service.upper()}_URL"] == f"https://shiji-{service}:{port}"


def test_scoring_runs_one_replica_per_partition() -> None:
    assert k8s("Deployment", "shiji-scoring")["spec"]["replicas"] == int(config_map()["SHIJI_KAFKA_PARTITIONS"])


def test_the_migration_job_migrates() -> None:
    (container,) = k8s("Job", "shiji-migrate")["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["migrate"]


def test_kustomization_lists_every_manifest() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_compose_references_resolve() -> None:
    spec = compose()
    services, volumes = spec["services"], set(spec["volumes"])
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert source in volumes or (DEPLOY / source).exists(), f"{name} mounts unknown {source}"
        if "build" in service:
            assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
    databases = set(re.findall(r"CREATE DATABASE (\w+);", (DEPLOY / "compose" / "initdb.sql").read_text()))
    env = services["dossier"]["environment"]
    assert {env[f"SHIJI_{s}_DATABASE_URL"].rsplit("/", 1)[1] for s in ("DOSSIER", "SCORING")} == databases


def test_the_image_runs_shiji_as_an_unprivileged_user() -> None:
    dockerfile = (DEPLOY / "container" / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 3  # build stage + console stage + runtime stage
    assert re.findall(r"^USER (\S+)", dockerfile, re.M) == ["10001:10001"]
    assert 'ENTRYPOINT ["shiji"]' in dockerfile


# ---------------------------------------------------------------------------------- issue 19: trust nothing inside

IDENTITY_FILE = {"gateway": ("SHIJI_GATEWAY_SERVICE_KEY_FILE", "gateway-service.pem"),
                 "dossier": ("SHIJI_DOSSIER_GATEWAY_KEYS_FILE", "gateway-service.pub.pem"),
                 "scoring": ("SHIJI_SCORING_GATEWAY_KEYS_FILE", "gateway-service.pub.pem")}


def pods() -> dict[str, dict[str, Any]]:
    """Every pod template by its app.kubernetes.io/name label (the Deployments and the migration Job)."""
    found = {}
    for path in K8S.glob("*.yaml"):
        for doc in documents(path):
            if doc.get("kind") in ("Deployment", "Job"):
                template = doc["spec"]["template"]
                found[template["metadata"]["labels"]["app.kubernetes.io/name"]] = template
    return found


@pytest.mark.parametrize("service", ["dossier", "scoring", "gateway"])
def test_each_service_mounts_its_part_of_the_service_identity_read_only(service: str) -> None:
    """The gateway alone holds the private key; dossier and scoring its public key(s); both from the Secret,
    read-only, at the path the settings name (shared/service_identity.py)."""
    pod = pods()[f"shiji-{service}"]["spec"]
    (container,) = pod["containers"]
    setting, item = IDENTITY_FILE[service]
    (volume,) = [v for v in pod["volumes"] if v.get("secret", {}).get("secretName") == "shiji-service-identity"]
    assert [i["key"] for i in volume["secret"]["items"]] == [item]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    assert mount["readOnly"] is True
    assert config_map()[setting] == f"{mount['mountPath']}/{item}"
    if item == "gateway-service.pem":
        assert volume["secret"]["defaultMode"] == 0o440


@pytest.mark.parametrize("service", ["dossier", "scoring"])
def test_each_service_serves_its_own_certificate_from_its_secret_read_only(service: str) -> None:
    """Its certificate and key only (not the other service's), read-only, where the settings look."""
    pod = pods()[f"shiji-{service}"]["spec"]
    (container,) = pod["containers"]
    secrets = {v["secret"]["secretName"]: v for v in pod["volumes"] if "secret" in v}
    assert f"shiji-{'scoring' if service == 'dossier' else 'dossier'}-tls" not in secrets
    volume = secrets[f"shiji-{service}-tls"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    assert mount["readOnly"] is True and volume["secret"]["defaultMode"] == 0o440
    for setting, item in (("CERT", "tls.crt"), ("KEY", "tls.key")):
        assert item in [i["path"] for i in volume["secret"]["items"]]
        assert config_map()[f"SHIJI_{service.upper()}_TLS_{setting}_FILE"] == f"{mount['mountPath']}/{item}"


def test_the_gateway_checks_the_services_against_the_private_ca_of_the_ca_config_map() -> None:
    pod = pods()["shiji-gateway"]["spec"]
    (container,) = pod["containers"]
    (volume,) = [v for v in pod["volumes"] if v.get("configMap", {}).get("name") == "shiji-ca"]
    assert [i["key"] for i in volume["configMap"]["items"]] == ["service-ca.crt"]
    assert "service-ca.crt" in k8s("ConfigMap", "shiji-ca")["data"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    assert mount["readOnly"] is True
    assert config_map()["SHIJI_GATEWAY_SERVICE_CA_FILE"] == f"{mount['mountPath']}/service-ca.crt"


def test_compose_calls_the_services_over_https_with_the_certificates_service_keys_makes() -> None:
    from shared.service_tls import CA_CERT_FILE

    spec = compose()
    env = spec["x-shiji-env"]
    command = spec["services"]["service-keys"]["command"]
    folder = command[command.index("--dir") + 1]
    assert env["SHIJI_GATEWAY_SERVICE_CA_FILE"] == f"{folder}/{CA_CERT_FILE}"
    for service in ("dossier", "scoring"):
        assert env[f"SHIJI_GATEWAY_{service.upper()}_URL"].startswith(f"https://{service}:")
        assert env[f"SHIJI_{service.upper()}_TLS_CERT_FILE"] == f"{folder}/{service}.crt"
        assert env[f"SHIJI_{service.upper()}_TLS_KEY_FILE"] == f"{folder}/{service}.key"
        assert "https://" in str(spec["services"][service]["healthcheck"]["test"])


def test_secrets_are_mounted_read_only_and_root_file_systems_are_read_only() -> None:
    for name, template in pods().items():
        spec = template["spec"]
        secret_volumes = {v["name"] for v in spec.get("volumes", []) if "secret" in v}
        for container in spec["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
            for mount in container.get("volumeMounts", []):
                if mount["name"] in secret_volumes:
                    assert mount["readOnly"] is True, f"{name} mounts {mount['name']} writable"
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert "env" not in spec["containers"][0] or not any("secretKeyRef" in str(e) for e in spec["containers"][0]["env"])


def policies() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d["spec"] for d in documents(K8S / "networkpolicy.yaml") if d["kind"] == "NetworkPolicy"}


def selected(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    return policy["podSelector"].get("matchLabels", {}).items() <= labels.items()


def peers(rules: list[dict[str, Any]]) -> set[tuple[str, int]]:
    """(who, port) pairs a list of ingress/egress rules allows: who is a pod name label or ``ns:<namespace>``."""
    allowed = set()
    for rule in rules:
        for peer in rule.get("from", rule.get("to", [])):
            if "podSelector" in peer and "namespaceSelector" not in peer:
                who = peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            else:
                who = "ns:" + peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            allowed |= {(who, p["port"]) for p in rule["ports"]}
    return allowed


def test_network_policies_deny_by_default_and_allow_only_the_paths_of_the_architecture() -> None:
    everything = policies()
    deny = everything["shiji-default-deny"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}  # no rule: nothing allowed
    dns = everything["shiji-dns"]
    assert dns["policyTypes"] == ["Egress"] and {p for _, p in peers(dns["egress"])} == {53}
    ports = {name: SETTINGS[name].model_fields["port"].default for name in SETTINGS}
    backing = {("ns:postgres", 5432), ("ns:kafka", 9092), ("ns:kafka", 9093)}
    expected_ingress = {
        "shiji-gateway": {("ns:ingress-nginx", ports["gateway"]), ("ns:monitoring", ports["gateway"])},
        "shiji-dossier": {("shiji-gateway", ports["dossier"]), ("ns:monitoring", ports["dossier"])},
        "shiji-scoring": {("shiji-gateway", ports["scoring"]), ("ns:monitoring", ports["scoring"])},
        "shiji-migrate": set(),
    }
    expected_egress = {
        "shiji-gateway": {("shiji-dossier", ports["dossier"]), ("shiji-scoring", ports["scoring"])},
        "shiji-dossier": backing, "shiji-scoring": backing, "shiji-migrate": {("ns:postgres", 5432)},
    }
    for name, template in pods().items():
        labels = template["metadata"]["labels"]
        mine = [p for n, p in everything.items() if n not in ("shiji-default-deny", "shiji-dns") and selected(p, labels)]
        assert len(mine) == 1, f"{name}: one policy of its own, not {len(mine)}"
        (policy,) = mine
        assert policy["policyTypes"] == ["Ingress", "Egress"]
        assert peers(policy.get("ingress", [])) == expected_ingress[name], name
        assert peers(policy.get("egress", [])) == expected_egress[name], name
    # Every pod a policy names exists: a typo in a label would silently allow nothing (or deny the wrong pod).
    named = {who for p in everything.values() for who, _ in peers(p.get("ingress", []) + p.get("egress", []))
             if not who.startswith("ns:")}
    assert named <= set(pods())
