"""The cadre's dossier (实绩档案) as a fold of its events, and the decisions taken on it.

Pure Python: no I/O, no framework. ``evolve`` rebuilds state from events; each decision takes
the state, a command and what it needs to know of the world (``Context``: who acts, today,
the category catalogue, the actor's standing as superior) and returns the new events, or raises
a ``DomainError`` naming the input and the rule it broke.

One module per family of records: ``state`` (the fold, ``Context`` and the rules all families share),
``cadre`` (registration, basics, posts and transfers, declarations), ``achievements``, ``reports``,
``entries`` (the positive and negative lists, and appeals) and ``assessments``. Every name is
re-exported here: callers say ``domain.record_entry``.

Who may do what *to this dossier* is a domain rule and lives here: a cadre fills in their own
basic record and quarterly reports and files their own appeals; only a superior verifies claims
and endorses or returns reports, and nobody endorses their own. Which *roles* may call which
endpoint, and over which jurisdiction, is the gateway's business.
"""

from services.dossier.domain.achievements import claim_achievement, reject_achievement, verify_achievement
from services.dossier.domain.assessments import (
    POLITICAL_QUALITY_FOR_EXCELLENT,
    grade_constraint_broken,
    record_annual_grade,
    record_appraisal_level,
    record_democratic_evaluation,
    record_integrity_veto,
    record_scores,
)
from services.dossier.domain.cadre import (
    assign_post,
    end_post,
    record_basics,
    record_declaration,
    register_cadre,
    transfer,
    write_self_evaluation,
)
from services.dossier.domain.entries import amend_entry, decide_appeal, file_appeal, record_entry, revoke_entry
from services.dossier.domain.reports import endorse_report, return_report, save_report, submit_report
from services.dossier.domain.state import (
    Achievement,
    Appeal,
    Context,
    Dossier,
    Entry,
    Post,
    QuarterlyReport,
    YearAssessment,
    evolve,
    fold,
    not_after_today,
    require_cadre,
    require_self,
    require_superior,
    require_unit,
)
from services.dossier.errors import AlreadyDone, CadreNotFound, DomainError, EntryNotFound, NotAllowed, NotFound

__all__ = [
    "POLITICAL_QUALITY_FOR_EXCELLENT", "Achievement", "AlreadyDone", "Appeal", "CadreNotFound", "Context", "DomainError",
    "Dossier", "Entry", "EntryNotFound", "NotAllowed", "NotFound", "Post", "QuarterlyReport", "YearAssessment",
    "amend_entry", "assign_post", "claim_achievement", "decide_appeal", "end_post", "endorse_report", "evolve",
    "file_appeal", "fold", "grade_constraint_broken", "not_after_today", "record_annual_grade",
    "record_appraisal_level", "record_basics", "record_declaration", "record_democratic_evaluation",
    "record_entry", "record_integrity_veto", "record_scores", "register_cadre", "reject_achievement",
    "require_cadre", "require_self", "require_superior", "require_unit", "return_report", "revoke_entry",
    "save_report", "submit_report", "transfer", "verify_achievement", "write_self_evaluation",
]
