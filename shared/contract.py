"""The published JSON Schemas of the event contract, generated from the models.

``python -m shared.contract`` rewrites ``shared/schemas/``. The files are committed: they are
what other government systems build against. ``tests/unit/test_event_contract.py`` fails when a
model no longer matches its published schema, which is the signal to add a new schema version
(and an upcaster) instead of changing the old one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.envelope import Envelope, type_name
from shared.events import EVENT_TYPES
from shared.scoring_topics import MESSAGES

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


def schema_documents() -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for event_type, cls in sorted(EVENT_TYPES.items()):
        schema = cls.model_json_schema(mode="serialization")
        schema["$id"] = f"urn:shiji:schema:{type_name(event_type, cls.schema_version)}"
        schema["description"] = (cls.__doc__ or "").strip()
        docs[f"{event_type}.v{cls.schema_version}.json"] = schema
    for name, model in MESSAGES.items():
        schema = model.model_json_schema(mode="serialization")
        schema["$id"] = f"urn:shiji:schema:cn.shiji.scoring.{name}.v1"
        docs[f"scoring.{name}.v1.json"] = schema
    envelope = Envelope.model_json_schema(mode="serialization")
    envelope["$id"] = "urn:shiji:schema:cloudevents-envelope"
    docs["envelope.json"] = envelope
    return docs


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, doc in schema_documents().items():
        (SCHEMA_DIR / name).write_text(render(doc), encoding="utf-8")
        print(f"wrote {SCHEMA_DIR / name}")


if __name__ == "__main__":
    main()
