"""What the bulk import (批量导入) and its templates share: which operations a row may carry, and the id column
a creating operation's row may fill in so that later rows can name what it makes."""

from __future__ import annotations

# The id of what each creating operation makes: a row may choose it, so later rows can name it.
NEW_ID = {"register_cadre": "cadre_id", "assign_post": "post_id", "transfer": "post_id", "record_entry": "entry_id",
          "claim_achievement": "achievement_id", "file_appeal": "appeal_id", "record_external_result": "result_id",
          **{op: "input_id" for op in ("record_unit_assessment_reading", "record_unit_evaluation_score",
                                       "record_unit_constraint_breach", "record_cadre_assessment_reading",
                                       "record_cadre_evaluation_score")},
          "issue_unit_assessment_notice": "notice_id"}
# Verifying, endorsing and returning are a superior's own acts on their subordinate's record: an
# import (recorded as the importing clerk) cannot stand in for them.
NOT_IMPORTABLE = {"verify_achievement", "reject_achievement", "endorse_report", "return_report"}


def importable(operation: str) -> bool:
    return operation not in NOT_IMPORTABLE
