"""The broker's ACLs for the local secure set-up (deploy/local/kafka.sh runs this as ``admin``).

    kafka_acls.py BOOTSTRAP CLIENT_DIR

Topics are granted by prefix, so the test suite's throwaway topics (``shiji.dossier.events.test-…``,
``shiji.scoring.totals.test-…``) fall under the same rules as the real ones:

- ``shiji-dossier`` alone may write ``shiji.dossier.*`` (and create and describe it);
- ``shiji-scoring`` reads ``shiji.dossier.*`` in the consumer groups ``shiji-scoring*`` / ``scoring*``,
  and writes (creates, describes) ``shiji.scoring.*``;
- ``shiji-other``, another government system, reads ``shiji.scoring.totals.*`` in groups ``other*``
  and nothing else.

Creating an ACL that exists is a no-op, so this runs on every start. Kubernetes deployments write
the same rules with kafka-acls (docs/operations.md, "Kafka").
"""

from __future__ import annotations

import sys
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.admin import ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourcePattern, ResourceType

PREFIXED = ACLResourcePatternType.PREFIXED

# (user, operation, resource type, prefix)
RULES = [
    *(("shiji-dossier", op, ResourceType.TOPIC, "shiji.dossier.")
      for op in (ACLOperation.WRITE, ACLOperation.DESCRIBE, ACLOperation.CREATE)),
    *(("shiji-scoring", op, ResourceType.TOPIC, "shiji.dossier.") for op in (ACLOperation.READ, ACLOperation.DESCRIBE)),
    *(("shiji-scoring", ACLOperation.READ, ResourceType.GROUP, prefix) for prefix in ("shiji-scoring", "scoring")),
    *(("shiji-scoring", op, ResourceType.TOPIC, "shiji.scoring.")
      for op in (ACLOperation.WRITE, ACLOperation.DESCRIBE, ACLOperation.CREATE, ACLOperation.READ)),
    *(("shiji-other", op, ResourceType.TOPIC, "shiji.scoring.totals.") for op in (ACLOperation.READ, ACLOperation.DESCRIBE)),
    ("shiji-other", ACLOperation.READ, ResourceType.GROUP, "other"),
]


def main(bootstrap: str, client_dir: Path) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="shiji-acls", security_protocol="SASL_SSL",
                             sasl_mechanism="SCRAM-SHA-512", sasl_plain_username="admin",
                             sasl_plain_password=(client_dir / "passwords" / "admin").read_text().strip(),
                             ssl_cafile=str(client_dir / "ca.crt"))
    try:
        acls = [ACL(f"User:{user}", "*", operation, ACLPermissionType.ALLOW, ResourcePattern(kind, name, PREFIXED))
                for user, operation, kind, name in RULES]
        result = admin.create_acls(acls)
        if result["failed"]:
            raise SystemExit(f"ACLs refused: {result['failed']}")
        print(f"{len(acls)} ACLs in place for shiji-dossier, shiji-scoring, shiji-other")
    finally:
        admin.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
