"""``shiji verify --cadre --hash`` on a page really printed: the hash and version are read off the PDF's footer
(pdftotext) as a clerk reads them, and the command answers from the store of a running embedded instance."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx

from services.embedded import embedded_system
from tests.e2e.conftest import System, register_units
from tests.e2e.test_documents import PDF, YEAR, dossier_of_a_year, post, text_of


def shiji_verify(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.cli", "--log-level", "warning", "verify",
                           "--data-dir", str(data_dir), *args], capture_output=True, text=True, timeout=120)


async def test_a_clerk_checks_the_hash_printed_on_a_page(tmp_path: Path) -> None:
    async with embedded_system(tmp_path, demo=False) as s:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=s.gateway), base_url="http://gateway") as client:
            system = System("embedded", client, s.token)
            await register_units(system)
            cadre_id = await dossier_of_a_year(system, "陈核对")
            page = await client.get(f"/api/v1/cadres/{cadre_id}/appraisal-sheet", params={"year": YEAR},
                                    headers={**system.auth(), **PDF})
            footer = re.search(r"档案版本 v(\d+) · 链哈希 (\S+)", text_of(page.content))
            assert footer, text_of(page.content)[-500:]
            version, printed = footer.group(1), footer.group(2)

            done = shiji_verify(tmp_path, "--cadre", cadre_id, "--hash", printed, "--version", version)
            assert done.returncode == 0 and done.stdout.startswith("MATCHES"), done.stdout + done.stderr
            assert f"version {version}" in done.stdout and "as it stands now" in done.stdout

            await post(system, f"/cadres/{cadre_id}/entries", {
                "kind": "positive", "category": "honour", "title": "印后补录", "points": 1,
                "effective_date": f"{YEAR}-12-01", "basis": {"reason": "补录", "document": "补字2号"}})
            done = shiji_verify(tmp_path, "--cadre", cadre_id, "--hash", printed.upper())
            assert done.returncode == 0 and "1 event(s) (1 entry_recorded)" in done.stdout, done.stdout

            mistyped = printed[:-1] + ("0" if printed[-1] != "0" else "1")
            done = shiji_verify(tmp_path, "--cadre", cadre_id, "--hash", mistyped)
            assert done.returncode == 1 and done.stdout.startswith("NO MATCH"), done.stdout
            done = shiji_verify(tmp_path, "--cadre", cadre_id)
            assert done.returncode == 2 and "--hash" in done.stderr
