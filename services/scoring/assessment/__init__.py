"""The annual comprehensive assessment (综合考评, issue 16): pure rules, no I/O.

``shared.assessment_scheme`` is the scheme document (the contract the dossier validates on write);
here: ``functions`` (the closed set of scoring functions), ``composite`` (the explained composite),
``results`` (result shapes, canonical JSON, ranks within a class), ``proposal`` (proposed grades, each rule
with its id and source), ``consequences`` (what a grade entails, as data), ``what_if`` (a changed scheme).
"""

from services.scoring.assessment.composite import assess
from services.scoring.assessment.consequences import Consequence, consequences
from services.scoring.assessment.inputs import (
    ConstraintBreach,
    DowngradeMatter,
    EvaluationScore,
    GradeFacts,
    Inputs,
    Reading,
    Subject,
)
from services.scoring.assessment.proposal import Proposal, propose, propose_all
from services.scoring.assessment.results import AssessmentResult, InvalidInputs, Standing, canonical_json, standings
from services.scoring.assessment.what_if import WhatIf, what_if

__all__ = [
    "AssessmentResult", "Consequence", "ConstraintBreach", "DowngradeMatter", "EvaluationScore", "GradeFacts",
    "Inputs", "InvalidInputs", "Proposal", "Reading", "Standing", "Subject", "WhatIf", "assess", "canonical_json",
    "consequences", "propose", "propose_all", "standings", "what_if",
]
