"""A data reading against its target's schedule (时序进度, 004). Pure, exact Decimal.

A data reading is the year to date; its schedule is the year's target × the share of the year elapsed at the
period's end (July: 7/12), or the whole target for the indicators the scheme holds to it every period (rates,
ratios). The target is the class's in the scheme version in force, else the one the monitoring sheet states with
the reading. Behind means more than the scheme's margin, in percentage points, short of the schedule: for a
"higher is better" indicator, 100 × (schedule − reading) / schedule > margin; for "lower is better" (a ceiling),
100 × (reading − schedule) / schedule > margin. The comparison is made without rounding; the figures shown are
rounded as the scheme states (``shown``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext

from services.scoring.assessment.composite import EXACT
from services.scoring.assessment_tracking.periods import Period
from shared.assessment_scheme import AssessmentScheme, Indicator

HUNDRED, TWELVE = Decimal(100), Decimal(12)


@dataclass(frozen=True, slots=True)
class Judged:
    target: Decimal
    scheduled: Decimal  # exact
    progress: Decimal  # 100 × reading / schedule, exact
    shortfall: Decimal  # percentage points short of the schedule (negative: ahead), exact
    behind: bool | None  # None: the scheme sets no margin


def target_of(ind: Indicator, class_id: str, stated: str | None) -> Decimal | None:
    target = ind.targets.get(class_id)
    if target is None and stated is not None:
        target = Decimal(stated)
    return target if target is not None and target > 0 else None


def judge(scheme: AssessmentScheme, ind: Indicator, class_id: str, period: Period, value: Decimal,
          stated_target: str | None) -> Judged | None:
    """``value`` of ``period`` against the schedule; None when there is no target above 0."""
    target = target_of(ind, class_id, stated_target)
    if target is None:
        return None
    whole = period.months == 12 or (scheme.tracking is not None and ind.id in scheme.tracking.whole_target)
    with localcontext(EXACT):
        scheduled = target if whole else target * period.months / TWELVE
        progress = HUNDRED * value / scheduled
        shortfall = HUNDRED - progress if ind.direction == "higher_is_better" else progress - HUNDRED
    behind = None if scheme.tracking is None else shortfall > scheme.tracking.warning_margin
    return Judged(target, scheduled, progress, shortfall, behind)


def shown(scheme: AssessmentScheme, value: Decimal | None) -> str | None:
    """A derived figure for display: rounded once, as the scheme rounds its composite."""
    if value is None:
        return None
    q = Decimal(1).scaleb(-scheme.rounding.places)
    rounded = value.quantize(q, rounding=ROUND_HALF_UP if scheme.rounding.mode == "half_up" else ROUND_HALF_EVEN)
    return format(abs(rounded) if rounded.is_zero() else rounded, "f")
