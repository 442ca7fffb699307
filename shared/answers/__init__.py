"""The public contract of what each operation answers: pydantic models, one module per area.

The gateway declares them on its routes for the OpenAPI (and so for Schemathesis's response checks and a
generated client's types); it still relays the services' bytes, never re-serialising an answer. Each model
forbids fields it does not name, so an answer that grows a field breaks the contract test, not a client.
Every example is taken from a real answer of the embedded demo system."""

from shared.answers.base import Answer
from shared.answers.cadres import AppraisalSheet, Cadre, CadreEvents, Dossier
from shared.answers.catalogue import Categories, Unit, Units
from shared.answers.documents import AssessmentForm, ImportTemplate, PrintedHash
from shared.answers.finding import CadreList, Tasks
from shared.answers.operations import AccessLog, DailyRefresh, ImportReport
from shared.answers.scoring import Ranking, Score, Screening, Screenings, Warnings, WhatIf
from shared.answers.writes import WRITE_ANSWERS

__all__ = ["WRITE_ANSWERS", "AccessLog", "Answer", "AppraisalSheet", "AssessmentForm", "Cadre", "CadreEvents",
           "CadreList", "Categories", "DailyRefresh", "Dossier", "ImportReport", "ImportTemplate", "PrintedHash",
           "Ranking", "Score", "Screening", "Screenings", "Tasks", "Unit", "Units", "Warnings", "WhatIf"]
