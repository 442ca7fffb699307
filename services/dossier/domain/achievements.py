"""Key achievements (重要实绩): the cadre claims, the superior verifies (with points) or rejects."""

from __future__ import annotations

from services.dossier.domain.entries import check_against_catalogue
from services.dossier.domain.state import (
    Achievement,
    Context,
    Dossier,
    not_after_today,
    require_cadre,
    require_self,
    require_superior,
)
from services.dossier.errors import AlreadyDone, NotFound
from shared import commands as c
from shared.events import (
    AchievementClaimed,
    AchievementRejected,
    AchievementVerified,
    DomainEvent,
    EntryKind,
)


def claim_achievement(state: Dossier, cmd: c.ClaimAchievement, achievement_id: str, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    require_self(state, ctx, "report their own achievements")
    not_after_today(cmd.effective_date, ctx, "effective_date")
    return [AchievementClaimed(achievement_id=achievement_id, **cmd.model_dump())]


def _claimed(state: Dossier, achievement_id: str) -> Achievement:
    a = state.achievements.get(achievement_id)
    if a is None:
        raise NotFound(f"no achievement {achievement_id}", field="achievement_id", rule="achievement_exists")
    if a.status != "claimed":
        raise AlreadyDone(f"achievement {achievement_id} is already {a.status}", field="achievement_id",
                          rule="achievement_awaits_verification")
    return a


def verify_achievement(state: Dossier, achievement_id: str, cmd: c.VerifyAchievement, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    a = _claimed(state, achievement_id)
    require_superior(state, ctx, "verify an achievement")
    check_against_catalogue(ctx, EntryKind.ACHIEVEMENT, cmd.category, cmd.points, None)
    return [AchievementVerified(achievement_id=achievement_id, title=a.title, category=cmd.category, points=cmd.points,
                                effective_date=a.effective_date, comment=cmd.comment)]


def reject_achievement(state: Dossier, achievement_id: str, cmd: c.RejectAchievement, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    _claimed(state, achievement_id)
    require_superior(state, ctx, "reject an achievement")
    return [AchievementRejected(achievement_id=achievement_id, reason=cmd.reason)]
