"""Printed forms (PDF): the annual appraisal sheet (工作实绩鉴定表, 002) and the annual assessment's registration
form (年度考核登记表), made with WeasyPrint from the HTML templates beside this module.

Each page is A4 with 第 x 页 共 y 页 and a footer that carries the record's version and chain hash, so a printed
page can be checked against the store. The fonts (Noto CJK) are embedded as subsets. The document's timestamps
are the moment the record is as known at: the same record and ``known_at`` give the same bytes.

Rendering takes a CPU for a good part of a second: callers run it off the event loop."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from shared.documents.labels import (
    ANNUAL_GRADE,
    APPRAISAL_LEVEL,
    COMPONENT_STATUS,
    KIND,
    QUARTER,
    RATER_GROUP,
    name_of,
    points,
)

TEMPLATES = Path(__file__).parent / "templates"
GRADE_ORDER = tuple(ANNUAL_GRADE)
ROUTINE_SCORES = {"mass_satisfaction": "群众满意度", "political_quality": "政治素质得分"}


@dataclass(frozen=True)
class Head:
    """The record as printed: its stream's version and chain hash at the moment it is known at."""

    version: int
    hash: str | None
    known_at: str
    timezone: str = "Asia/Shanghai"  # where the 截至 line states the moment (the deployment's setting)

    @property
    def seal(self) -> str:
        return f"档案版本 v{self.version} · 链哈希 {self.hash or '无'}"


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["css_string"] = _css_string
    return env


def _css_string(text: Any) -> str:
    """``text`` inside a CSS string: quotes, backslashes and line breaks escaped, no markup."""
    return "".join(c if c.isalnum() or c in " .:-_·/…，。（）" else f"\\{ord(c):x} " for c in str(text))


def current_post(posts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The post held: the last open one, else the last one."""
    return next((p for p in reversed(posts) if p.get("end_date") is None), posts[-1] if posts else None)


def particulars(basics: dict[str, Any], post: dict[str, Any] | None, unit_name: str | None) -> dict[str, str]:
    """姓名, 性别, 出生年月, 单位, 职务, 职级, 学历, 政治面貌; an empty text where not recorded."""
    post = post or {}
    birth = basics.get("birth_date") or ""
    return {"name": basics.get("name", ""), "gender": basics.get("gender") or "",
            "birth": f"{birth[:4]}年{int(birth[5:7])}月" if len(birth) >= 7 else "",
            "unit": unit_name or basics.get("unit_id", ""), "position": post.get("position", ""),
            "rank": post.get("rank", ""), "education": basics.get("education") or "",
            "political_status": basics.get("political_status") or ""}


def _year_assessment(assessments: list[dict[str, Any]], year: int) -> dict[str, Any]:
    return next((a for a in assessments if a.get("year") == year), {})


def _democratic(tallies: dict[str, dict[str, int]]) -> str:
    """The tallies in a fixed order (rater groups, then grades as the rules list them), whatever the store's."""
    groups = _groups(tallies)
    return "；".join(f"{name_of(RATER_GROUP, group)}：" + "，".join(f"{name_of(ANNUAL_GRADE, g)} {tallies[group][g]} 票"
                                                                   for g in _grades(tallies[group]))
                    for group in groups) or "未录入"


def _groups(tallies: dict[str, dict[str, int]]) -> list[str]:
    return sorted(tallies, key=lambda g: (list(RATER_GROUP).index(g) if g in RATER_GROUP else len(RATER_GROUP), g))


def _grades(counts: dict[str, int]) -> list[str]:
    return [g for g in GRADE_ORDER if g in counts] + sorted(set(counts) - set(GRADE_ORDER))


def appraisal_sheet_context(sheet: dict[str, Any], dossier: dict[str, Any], unit_name: str | None,
                            head: Head) -> dict[str, Any]:
    year = sheet["year"]
    assessment = _year_assessment(sheet.get("last_three_years", []), year)
    quarters, n = [], 0
    for q in sheet["quarters"]:
        items = []
        for item in q["items"]:
            n += 1
            items.append({"n": n, "kind": name_of(KIND, item["kind"]), "title": item["title"],
                          "reason": item["basis"]["reason"], "document": item["basis"]["document"],
                          "effective_date": item["effective_date"], "points": points(item["points"])})
        label = name_of(QUARTER, q["quarter"].rsplit("-", 1)[-1])
        quarters.append({"label": label, "items": items, "positive": points(q["positive"]),
                         "negative": points(q["negative"]), "total": points(q["total"])})
    return {"title": f"{sheet.get('name') or ''} {year} 年度工作实绩鉴定表", "year": year, "cadre_id": sheet["cadre_id"],
            "p": particulars(dossier["basics"], current_post(dossier.get("posts", [])), unit_name),
            "quarters": quarters, "year_total": points(sheet["year_total"]),
            "appraisal_level": name_of(APPRAISAL_LEVEL, assessment.get("appraisal_level")) or "未鉴定",
            "annual_grade": name_of(ANNUAL_GRADE, assessment.get("annual_grade")) or "未评定",
            "democratic": _democratic(sheet.get("democratic_evaluation") or {}), **_footer(head)}


def registration_form_context(form: dict[str, Any], timezone: str = "Asia/Shanghai") -> dict[str, Any]:
    """From the form's data (shared.answers.AssessmentForm)."""
    assessment = form.get("assessment") or {}
    tallies = []
    evaluation = assessment.get("democratic_evaluation") or {}
    for group in _groups(evaluation):
        row = [evaluation[group].get(g, 0) for g in GRADE_ORDER]
        tallies.append({"group": name_of(RATER_GROUP, group), "counts": row, "total": sum(row)})
    scores = [(label, f"{assessment[key]:g}") for key, label in ROUTINE_SCORES.items()
              if assessment.get(key) is not None]
    head = Head(form["version"], form["hash"], form["known_at"], timezone)
    return {"title": f"{form['basics'].get('name', '')} {form['year']} 年度考核登记表", "year": form["year"],
            "cadre_id": form["cadre_id"], "p": particulars(form["basics"], form.get("post"), form.get("unit_name")),
            "summary": form.get("summary") or "（未填写）", "grade_names": [ANNUAL_GRADE[g] for g in GRADE_ORDER],
            "tallies": tallies, "scores": scores,
            "appraisal_level": name_of(APPRAISAL_LEVEL, assessment.get("appraisal_level")) or "未鉴定",
            "annual_grade": name_of(ANNUAL_GRADE, assessment.get("annual_grade")) or "未评定",
            "vetoes": [f"{v['reason']}（{v['document']}）" for v in assessment.get("vetoes", [])],
            "composite": _composite(form.get("composite")), **_footer(head)}


def _composite(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The composite under a scheme as the form prints it: each component's weight, score and share."""
    if not result:
        return None
    rows = [{"name": c["name"], "weight": c["weight"], "score": c["score"] or "—", "contribution": c["contribution"] or "—",
             "status": name_of(COMPONENT_STATUS, c["status"])} for c in result["components"]]
    return {"heading": f"综合考评（{result['scheme_id']}，第 {result['version']} 版）", "rows": rows,
            "composite": result["composite"] or "无法计算（缺少必需数据）",
            "calculated": name_of(ANNUAL_GRADE, result["calculated"]) or "—",
            "proposed": name_of(ANNUAL_GRADE, result["proposed"]) or "—"}


def _footer(head: Head) -> dict[str, Any]:
    return {"version": head.version, "seal": head.seal, "as_of_line": as_of_line(head.known_at, head.timezone),
            "moment": _moment(head.known_at)}


def as_of_line(known_at: str, timezone: str) -> str:
    """The 截至 line: the moment the record is as known at, to the minute, in the deployment's time zone (a clerk
    reads 北京时间, not UTC with microseconds). Two moments within one minute print alike; the footer's version and
    hash still tell the records apart."""
    moment = dt.datetime.fromisoformat(known_at.replace("Z", "+00:00")).astimezone(ZoneInfo(timezone))
    zone = "北京时间" if timezone in BEIJING_TIME else f"{timezone}，UTC{moment.strftime('%z')[:3]}:{moment.strftime('%z')[3:]}"
    return f"截至 {moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}（{zone}）"


BEIJING_TIME = ("Asia/Shanghai", "PRC", "Asia/Chongqing", "Asia/Harbin")


def _moment(known_at: str) -> str:
    """The document's creation time: the moment the record is as known at, to the second (UTC)."""
    moment = dt.datetime.fromisoformat(known_at.replace("Z", "+00:00")).astimezone(dt.UTC)
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(template: str, context: dict[str, Any]) -> bytes:
    """The PDF of ``template`` (a file in templates/) filled with ``context``. Blocking and CPU-bound."""
    import weasyprint  # heavy to import: only where a PDF is asked for

    css = (TEMPLATES / "form.css").read_text(encoding="utf-8")
    html = _environment().get_template(template).render(css=css, **context)
    return weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf()


def appraisal_sheet_pdf(sheet: dict[str, Any], dossier: dict[str, Any], unit_name: str | None, head: Head) -> bytes:
    return render("appraisal_sheet.html", appraisal_sheet_context(sheet, dossier, unit_name, head))


def registration_form_pdf(form: dict[str, Any], timezone: str = "Asia/Shanghai") -> bytes:
    return render("registration_form.html", registration_form_context(form, timezone))
