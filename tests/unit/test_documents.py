"""The documents package without a server: forms filled from answers, deterministic bytes, text that cannot break
out of the CSS it is printed from, import templates from the command models, workbooks in constant memory."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import time

import xlsxwriter

from services.gateway.docs import REQUEST_EXAMPLES
from shared.commands import OPERATIONS
from shared.documents import imports, labels, lists, pdf
from shared.documents.xlsx import SheetWriter, read_sheet, workbook

KNOWN_AT = "2026-12-06T04:52:50.047100+00:00"
SHEET = {"cadre_id": "c74c06f3-7bbc-442b-9971-498e6ab6d484", "name": "张伟", "year": 2025, "known_at": KNOWN_AT,
         "quarters": [{"quarter": f"2025-Q{q}", "positive": 2, "negative": 0, "total": 2, "items": [{
             "entry_id": None, "kind": "positive", "category": "honour", "title": f"第{q}季度表彰\"</style>", "points": 2,
             "basis": {"reason": "通报表扬", "document": "组字〔2025〕8号"}, "effective_date": f"2025-0{q * 3}-01"}]}
             for q in range(1, 5)],
         "year_total": 8, "democratic_evaluation": {"superiors": {"competent": 30, "excellent": 12}},
         "last_three_years": []}
DOSSIER = {"basics": {"name": "张伟", "unit_id": "u", "birth_date": "1980-05-01"}, "posts": []}
HEAD = pdf.Head(7, "sm3:" + "ab" * 32, KNOWN_AT)


def test_points_are_printed_with_their_sign_and_no_trailing_zeros() -> None:
    assert [labels.points(v) for v in (2, 2.5, -1.25, 0, 0.0, None)] == ["+2", "+2.5", "-1.25", "0", "0", ""]


def test_the_sheet_context_numbers_entries_across_quarters_and_orders_the_tallies() -> None:
    context = pdf.appraisal_sheet_context(SHEET, DOSSIER, "测试局", HEAD)
    assert [i["n"] for q in context["quarters"] for i in q["items"]] == [1, 2, 3, 4]
    assert context["democratic"] == "上级评价：优秀 12 票，称职 30 票"  # the rules' order, not the store's
    assert (context["annual_grade"], context["appraisal_level"]) == ("未评定", "未鉴定")
    assert context["p"]["birth"] == "1980年5月" and context["p"]["unit"] == "测试局"


def test_a_text_in_the_footer_cannot_close_its_css_string() -> None:
    escaped = pdf._css_string('a"b\\c</style>')
    assert '"' not in escaped and "<" not in escaped and "\\\\" not in escaped.replace("\\22 ", "")


def test_the_same_sheet_and_moment_render_the_same_bytes_with_the_moment_as_its_date() -> None:
    first = pdf.appraisal_sheet_pdf(SHEET, DOSSIER, "测试局", HEAD)
    assert first == pdf.appraisal_sheet_pdf(SHEET, DOSSIER, "测试局", HEAD)
    info = subprocess.run(["pdfinfo", "-"], input=first, capture_output=True, check=True, env={"TZ": "UTC"}).stdout
    assert b"Dec  6 04:52:50 2026" in info  # the creation date is the known-at moment, not the clock


def test_the_as_of_line_is_the_date_and_minute_in_the_deployments_time_zone() -> None:
    assert pdf.as_of_line(KNOWN_AT, "Asia/Shanghai") == "截至 2026年12月6日 12:52（北京时间）"
    assert pdf.as_of_line("2026-12-31T16:30:59.999999Z", "Asia/Shanghai") == "截至 2027年1月1日 00:30（北京时间）"
    assert pdf.as_of_line(KNOWN_AT, "Europe/Berlin") == "截至 2026年12月6日 05:52（Europe/Berlin，UTC+01:00）"
    context = pdf.appraisal_sheet_context(SHEET, DOSSIER, "测试局", HEAD)
    assert context["as_of_line"] == "截至 2026年12月6日 12:52（北京时间）"
    printed = subprocess.run(["pdftotext", "-", "-"], input=pdf.appraisal_sheet_pdf(SHEET, DOSSIER, "测试局", HEAD),
                             capture_output=True, check=True).stdout.decode()
    assert "截至 2026年12月6日 12:52（北京时间）" in printed and "04:52:50" not in printed


def test_an_unknown_time_zone_is_refused_when_the_gateway_is_configured() -> None:
    from pydantic import ValidationError

    from services.gateway.settings import GatewaySettings

    assert GatewaySettings(timezone="Asia/Urumqi").timezone == "Asia/Urumqi"
    try:
        GatewaySettings(timezone="Mars/Olympus")
    except ValidationError as exc:
        assert "not an IANA time zone" in str(exc)
    else:
        raise AssertionError("an unknown time zone was taken")


def test_every_importable_operation_has_a_template_that_reads_back_as_its_csv() -> None:
    for op in OPERATIONS:
        columns = imports.template_columns(op, REQUEST_EXAMPLES.get(op.name, {}))
        upload = imports.read_upload(imports.template_workbook(columns))
        header = upload.csv.decode().splitlines()[0].split(",")
        assert header == [c.name for c in columns] and upload.rows_of_csv == [1], op.name


def test_blank_rows_are_skipped_and_errors_keep_the_workbooks_row_numbers() -> None:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["operation", "points", "effective_date", "错误"])
    sheet.write_row(1, 0, ["record_entry", 3.0])
    sheet.write_row(3, 0, ["record_entry", 2.5])
    sheet.write_datetime(3, 2, dt.datetime(2025, 3, 1), book.add_format({"num_format": "yyyy-mm-dd"}))
    sheet.write_row(3, 3, ["old error"])
    book.close()
    upload = imports.read_upload(out.getvalue())
    assert upload.csv.decode().splitlines() == ["operation,points,effective_date", "record_entry,3,",
                                                "record_entry,2.5,2025-03-01"]
    assert upload.rows_of_csv == [1, 3]
    report = upload.sheet_errors({"errors": [{"row": 2, "field": "x", "rule": "r", "message": "m"}]})
    assert report["errors"][0]["row"] == 3
    returned = read_sheet(imports.error_workbook(upload, report))
    assert returned[0][-1] == "错误" and returned[1][-1] == "" and returned[3][-1] == "x：m（r）"


def test_a_whole_citys_list_is_written_in_constant_memory() -> None:
    """20,000 access-log rows: each row goes to disk as the next begins, so the sheet holds at most one in memory."""
    entry = {"seq": 1, "recorded_at": KNOWN_AT, "subject": "clerk-1", "role": "clerk", "unit": "qhd", "client": "10.0.0.1",
             "method": "GET", "path": "/api/v1/cadres/c74c06f3-7bbc-442b-9971-498e6ab6d484/dossier", "query": None,
             "action": "get_dossier", "cadre_id": "c74c06f3-7bbc-442b-9971-498e6ab6d484", "status": 200,
             "outcome": "allowed", "request_id": "52b49800a20c492a9b47304247afd5c1", "hash": "sm3:" + "ab" * 32}
    page = {"entries": [{**entry, "seq": n} for n in range(500)]}
    writer = SheetWriter(lists.ACCESS_LOG)
    started = time.perf_counter()
    for _ in range(40):
        writer.write(lists.ACCESS_LOG.rows(page))
        assert len(writer._sheet.table) <= 1  # XlsxWriter's rows in memory: the one being written
    path = writer.close()
    seconds = time.perf_counter() - started
    try:
        rows = read_sheet(path.read_bytes())
    finally:
        path.unlink()
    assert len(rows) == 20_001 and rows[-1][0] == 499.0 and rows[-1][1] == dt.datetime(2026, 12, 6, 4, 52, 50, 47000)
    print(f"20,000 rows in {seconds:.2f} s")


def test_a_small_list_workbook_reads_back_typed() -> None:
    answer = {"warnings": [{"cadre_id": "c", "key": "k", "kind": "bottom_of_ranking", "level": "red", "detail": "d",
                            "rule_set": "default@1", "raised_on": "2026-12-06", "cleared_on": None, "status": "active"}]}
    rows = read_sheet(workbook(lists.WARNINGS, [answer]))
    assert rows[1] == ["c", "bottom_of_ranking", "红色", "d", dt.date(2026, 12, 6), "", "生效", "default@1", "k"]
