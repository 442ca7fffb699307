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

from shared.assessment_scheme import AssessmentScheme
from shared.assessment_topics import CONSEQUENCES_TOPIC, MESSAGE_NAME, AssessmentConsequenceChanged
from shared.dead_letters import DEAD_LETTERS_TOPIC, DeadLetterRecorded
from shared.envelope import Envelope, type_name
from shared.events import EVENT_TYPES
from shared.scoring_topics import MESSAGES, SOURCE, TOTALS_TOPIC, WARNINGS_TOPIC
from shared.settings import DOSSIER_TOPIC

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
# The schema of a whole message on each topic (its Kafka value); the dossier's ``data`` is further described
# per ``type`` by ``<event_type>.v<N>.json``.
TOPIC_SCHEMAS = {DOSSIER_TOPIC: "envelope.json", TOTALS_TOPIC: f"topic.{TOTALS_TOPIC}.json",
                 WARNINGS_TOPIC: f"topic.{WARNINGS_TOPIC}.json",
                 CONSEQUENCES_TOPIC: f"topic.{CONSEQUENCES_TOPIC}.json", DEAD_LETTERS_TOPIC: f"topic.{DEAD_LETTERS_TOPIC}.json"}
SCORING_TOPICS = {TOTALS_TOPIC: "totals_changed", WARNINGS_TOPIC: "warning_changed",
                  CONSEQUENCES_TOPIC: MESSAGE_NAME, DEAD_LETTERS_TOPIC: "dead_letter_recorded"}
# What the Kafka key (= subject) of each scoring topic is, and the field of ``data`` that holds it.
TOPIC_KEYS = {TOTALS_TOPIC: ("the cadre id", "cadre_id"), WARNINGS_TOPIC: ("the cadre id", "cadre_id"),
              CONSEQUENCES_TOPIC: ("the assessed subject (a unit id or a cadre id)", "subject_id")}
SCORING_MESSAGES = {**MESSAGES, MESSAGE_NAME: AssessmentConsequenceChanged, "dead_letter_recorded": DeadLetterRecorded}
# What each topic's key (and subject) is, said in its schema.
_KEYS = {**{topic: (described, f"The Kafka key is {described}, equal to subject and data.{field}.")
            for topic, (described, field) in TOPIC_KEYS.items()},
         DEAD_LETTERS_TOPIC: ("the stream the message claimed, else <topic>/<partition>/<offset>",
                              "The Kafka key equals subject: data.stream_id when the message was readable, else "
                              "<topic>/<partition>/<offset> (shared/dead_letters.py).")}


def scoring_topic_schema(topic: str, data: dict[str, Any]) -> dict[str, Any]:
    """One message on a scoring topic as ``shared.scoring_topics.cloudevent`` writes it: CloudEvents 1.0
    structured JSON, subject = the Kafka key = ``data.cadre_id`` (``data.subject_id`` on the consequences
    topic), ``data`` one message model."""
    name = SCORING_TOPICS[topic]
    subject, key = _KEYS[topic]
    data = {k: v for k, v in data.items() if k != "$id"}
    return {
        "$id": f"urn:shiji:schema:topic:{topic}",
        "title": f"A message on {topic}",
        "description": f"The value of each message on {topic}: a CloudEvent (1.0, structured JSON mode) of type "
                       f"cn.shiji.scoring.{name}.v1. {key}",
        "type": "object",
        "additionalProperties": False,
        "required": ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "format": "uuid", "description": "the de-duplication key, derived from what "
                   "caused the message and its content: the same event (published again, made again by a rebuild) "
                   "has the same id, distinct events have distinct ids (shared/scoring_topics.py)"},
            "source": {"const": SOURCE},
            "type": {"const": f"cn.shiji.scoring.{name}.v1"},
            "subject": {"type": "string", "minLength": 1, "description": subject},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "data": data,
        },
    }


def schema_documents() -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for event_type, cls in sorted(EVENT_TYPES.items()):
        schema = cls.model_json_schema(mode="serialization")
        schema["$id"] = f"urn:shiji:schema:{type_name(event_type, cls.schema_version)}"
        schema["description"] = (cls.__doc__ or "").strip()
        docs[f"{event_type}.v{cls.schema_version}.json"] = schema
    for name, model in SCORING_MESSAGES.items():
        schema = model.model_json_schema(mode="serialization")
        schema["$id"] = f"urn:shiji:schema:cn.shiji.scoring.{name}.v1"
        docs[f"scoring.{name}.v1.json"] = schema
    for topic, name in SCORING_TOPICS.items():
        docs[TOPIC_SCHEMAS[topic]] = scoring_topic_schema(topic, docs[f"scoring.{name}.v1.json"])
    scheme = AssessmentScheme.model_json_schema(mode="validation")
    scheme["$id"] = f"urn:shiji:schema:assessment_scheme.v{AssessmentScheme.schema_version}"
    scheme["description"] = ("An assessment scheme (综合考评方案), as the dossier accepts it. Beyond this shape, the "
                             "rules of shared/assessment_checks.py apply (weights add up to 100 per class, …).")
    docs[f"assessment_scheme.v{AssessmentScheme.schema_version}.json"] = scheme
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
