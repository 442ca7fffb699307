"""The public OpenAPI's error responses: every operation documents each problem it can answer, with
its schema and an example, so front-end teams can code against them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.answers.assessment_consequences import REQUEST_EXAMPLES as CONSEQUENCE_EXAMPLES
from shared.answers.assessment_notices import REQUEST_EXAMPLES as NOTICE_EXAMPLES
from shared.answers.assessments import REQUEST_EXAMPLES as ASSESSMENT_EXAMPLES
from shared.problems import PROBLEM_JSON, TYPE_PREFIX


class FieldError(BaseModel):
    field: str = Field(examples=["points"])
    rule: str = Field(examples=["greater_than"])
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; ``type`` is stable, ``rule`` names the rule that refused the request."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[TYPE_PREFIX + "validation-error"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    rule: str | None = None
    errors: list[FieldError] | None = None


def _example(status: int, slug: str, title: str, **extra: Any) -> dict[str, Any]:
    return {"type": TYPE_PREFIX + slug, "title": title, "status": status, "instance": "/api/v1/…", **extra}


ERRORS: dict[int, tuple[str, dict[str, Any]]] = {
    400: ("The body cannot be read: it is not UTF-8 text",
          _example(400, "bad-request", "The body is not UTF-8 text",
                   detail="invalid start byte at byte 9: save the file as UTF-8")),
    401: ("No valid bearer token", _example(401, "invalid-token", "The bearer token is not valid",
                                            detail="Signature has expired")),
    403: ("The caller's role may not do this", _example(403, "forbidden", "Your role may not do this",
                                                       rule="role_permission")),
    404: ("No such object, or not within the caller's reach", _example(404, "not-found", "No such resource",
                                                                       rule="object_visible")),
    406: ("`Accept` allows none of the media types this read answers (its 200 lists them)",
          _example(406, "not-acceptable", "Not Acceptable", rule="acceptable_media_type",
                   detail="this read answers application/json; Accept allows none of them",
                   offered=["application/json"])),
    409: ("The record's state does not allow it", _example(409, "report-submitted", "the report is not submitted",
                                                          rule="report_submitted")),
    412: ("If-Match names a stale version", _example(412, "version-mismatch", "The dossier changed since you read it",
                                                    current_version=7)),
    413: ("The body is too large", _example(413, "payload-too-large", "The request body is larger than 65536 bytes")),
    422: ("The request is not valid", _example(422, "validation-error", "The request is not valid",
                                              errors=[{"field": "points", "rule": "greater_than",
                                                       "message": "Input should be greater than 0"}])),
    429: ("Too many requests from this subject; see Retry-After",
          _example(429, "rate-limited", "Too many requests", detail="retry after 1 s")),
    503: ("A service behind the gateway is unavailable", _example(503, "upstream-unavailable",
                                                                  "The dossier service is unavailable")),
}

READ_ERRORS = (401, 403, 404, 406, 422, 429, 503)
WRITE_ERRORS = (401, 403, 404, 409, 413, 422, 429, 503)
CONDITIONAL_ERRORS = (*WRITE_ERRORS, 412)


def responses(statuses: tuple[int, ...], *, body: bool = False) -> dict[int | str, dict[str, Any]]:
    """The problems of ``statuses``; with ``body`` (an operation that reads one) also the 400 of a body that is
    not UTF-8. A body that is UTF-8 but not JSON is a 422 whose error names the field ``body``."""
    return {status: {"description": ERRORS[status][0],
                     "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"},
                                                "example": ERRORS[status][1]}}}
            for status in ((400, *statuses) if body else statuses)}


def add_problem_schemas(spec: dict[str, Any]) -> dict[str, Any]:
    """Put ProblemDetails (and FieldError) into the spec's components, where ``responses`` point."""
    schema = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas["ProblemDetails"] = schema
    return spec


_BASIS = {"reason": "市委通报表扬", "document": "组字〔2026〕8号"}
# A valid request body for every write (the authorization matrix sends them, so they stay valid).
REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    "register_unit": {"unit_id": "qhd-haigang-fgw", "name": "海港区发展和改革局", "parent_id": "qhd-haigang",
                      "level": "unit", "unit_class": "economic_development"},
    "record_team_grade": {"grade": "good"},
    "record_target_evaluation": {"prize": "first"},
    "define_category": {"code": "honour_city", "name": "市级表彰", "kind": "positive", "min_points": 1,
                        "max_points": 5, "description": "市级表彰奖励"},
    "register_cadre": {"name": "张伟", "unit_id": "qhd-haigang-fgw"},
    "record_basics": {"birth_date": "1980-05-01", "gender": "男", "education": "研究生", "political_status": "中共党员"},
    "write_self_evaluation": {"text": "勤勉尽责，敢于担当"},
    "assign_post": {"unit_id": "qhd-haigang-fgw", "position": "局长", "rank": "正处级", "leadership": "chief",
                    "start_date": "2025-01-01"},
    "end_post": {"end_date": "2025-06-01", "reason": "任期届满"},
    "transfer": {"unit_id": "qhd-haigang-fgw", "position": "副局长", "rank": "副处级", "leadership": "deputy",
                 "start_date": "2025-01-01", "reason": "工作需要调任"},
    "claim_achievement": {"title": "港口改造", "description": "提前两个月完成", "effective_date": "2025-01-01"},
    "verify_achievement": {"category": "key_project", "points": 4, "comment": "属实"},
    "reject_achievement": {"reason": "与上条重复"},
    "save_report": {"key_work": "完成港口改造", "indicator_progress": "GDP指标完成80%", "most_satisfied": "项目推进",
                    "least_satisfied": "调研不足"},
    "submit_report": {},
    "endorse_report": {"comment": "同意"},
    "return_report": {"comment": "请补充指标数据"},
    "record_entry": {"kind": "positive", "category": "honour", "title": "获市级先进个人表彰", "points": 3,
                     "effective_date": "2025-01-01", "basis": _BASIS},
    "amend_entry": {"points": 2, "reason": "情节轻微，核减"},
    "revoke_entry": {"reason": "申诉成立，撤销该条记录"},
    "file_appeal": {"grounds": "当日公出，有派车单为证"},
    "decide_appeal": {"outcome": "upheld", "reason": "证据不足，维持原记录"},
    "record_annual_grade": {"grade": "competent"},
    "record_appraisal_level": {"level": "good"},
    "record_democratic_evaluation": {"rater_group": "superiors", "counts": {"excellent": 12, "competent": 30}},
    "record_scores": {"mass_satisfaction": 92, "political_quality": 95},
    "record_integrity_veto": {"basis": _BASIS},
    "record_declaration": {"flagged": False, "details": "无需回避的亲属关系"},
    **ASSESSMENT_EXAMPLES,
    # the facts a portrait needs (issue 20)
    "record_education": {"kind": "full_time", "level": "master", "degree": "master", "major": "区域经济学",
                         "discipline": "economics", "institution": "南开大学", "completed_on": "2005-07-01",
                         "basis": {"reason": "学历证书", "document": "10055120050200123"}},
    "record_expertise": {"professional_field": "economy", "familiar_fields": ["finance", "industry"],
                         "effective_date": "2025-01-01", "basis": {"reason": "干部任免审批表", "document": "组干〔2025〕3号"}},
    "record_external_result": {"source": "political_patrol", "title": "2025年市委第三轮巡察",
                               "effective_date": "2025-01-01", "conclusion": "neutral",
                               "findings": ["落实全面从严治党主体责任有差距"],
                               "basis": {"reason": "巡察反馈意见", "document": "市委巡察办〔2025〕12号"}},
    "revoke_external_result": {"reason": "巡察组复核后撤回该结论"},
    **NOTICE_EXAMPLES,
    **CONSEQUENCE_EXAMPLES,
}


def request_example(name: str) -> dict[str, Any]:
    return {"requestBody": {"content": {"application/json": {"example": REQUEST_EXAMPLES[name]}}}}


# What ``shared.commands.Command`` enforces on every text of a write's body (nested ones included) and its
# JSON Schema does not say: no C0 control character but tab, newline and carriage return, no DEL.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def state_text_rule(spec: dict[str, Any], commands: set[str]) -> dict[str, Any]:
    """Give every free text of the ``commands``' schemas (and of the schemas they refer to) the pattern of
    ``NO_CONTROL_CHARACTERS``; a text that has a pattern, format or enumeration of its own already keeps out
    control characters."""
    schemas = spec.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
            return
        if not isinstance(node, dict):
            return
        if (ref := node.get("$ref", "")).startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                visit(schemas.get(name))
        if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & node.keys():
            node["pattern"] = NO_CONTROL_CHARACTERS
        for key in ("properties", "items", "additionalProperties", "anyOf", "oneOf", "allOf", "prefixItems"):
            if isinstance(child := node.get(key), dict) and key == "properties":
                visit(list(child.values()))
            elif child is not None:
                visit(child)

    visit([{"$ref": f"#/components/schemas/{name}"} for name in sorted(commands)])
    return spec
