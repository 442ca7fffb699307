"""What every answer model shares: no field it does not name, and an example taken from a real answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

ID = "c74c06f3-7bbc-442b-9971-498e6ab6d484"  # the demo cadre the examples are about
KNOWN_AT = "2026-12-06T04:52:50.047100+00:00"
RECORDED_AT = "2026-12-06T04:52:49.395637+00:00"
HASH = "sm3:a3b15a4de1a2649da636d3f4284c2a6384fde0b4c3c4f1c9f701b4f90aaf6b62"


class Answer(BaseModel):
    """A part of an answer: exactly the fields named, no others."""

    model_config = ConfigDict(extra="forbid")


def example(value: dict[str, Any]) -> ConfigDict:
    """The config of a whole answer: strict like any part, with ``value`` as its example."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [value]})
