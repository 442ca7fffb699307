"""What scoring publishes carries any total a cadre can reach."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_DOWN, Decimal

from services.scoring.announcements import totals_change
from services.scoring.model import CadreFacts, EntryFact
from services.scoring.rules import RuleBook
from shared.scoring_topics import TotalsChanged, cloudevent

AS_OF = dt.date(2026, 6, 30)


def test_a_busy_cadres_weighed_totals_are_published_as_they_are() -> None:
    """Found by bench/run city: 300 entries of 5 points are 1,500 points, past one entry's bound of 1,000, and
    a weight of 1.5 on 0.25 points gives three decimals; either made the consumer refuse its batch for good."""
    rules = RuleBook.load().for_date(AS_OF)
    weighed = rules.model_copy(update={"category_weights": {"honour": Decimal("1.5")}})
    entries = [EntryFact(f"e{n}", f"ev{n}", "positive", "honour", Decimal(5), AS_OF - dt.timedelta(days=n))
               for n in range(300)] + [EntryFact("q", "evq", "positive", "honour", Decimal("0.25"), AS_OF)]
    values, message = totals_change(CadreFacts("c-1", entries=entries), None, AS_OF,
                                    dt.datetime(2026, 6, 30, tzinfo=dt.UTC), weighed)
    data = json.loads(message)["data"]
    # Worked out from the rule, not from the code: every entry is inside the window (the oldest is 299 days
    # back, the window three years), and each counts its points times its category's weight.
    want = 300 * Decimal(5) * Decimal("1.5") + Decimal("0.25") * Decimal("1.5")
    assert want == Decimal("2250.375")
    assert Decimal(str(data["total"])) == Decimal(str(data["positive"])) == want and data["negative"] == 0
    # published_totals keeps whole hundredths (tables.py: "Points are kept in hundredths"), the fraction of a
    # hundredth dropped toward zero; it only tells whether the totals changed since the last message.
    assert values["total_cents"] == values["positive_cents"] == int((want * 100).to_integral_value(ROUND_DOWN))
    assert values["negative_cents"] == 0
    assert TotalsChanged.model_validate(data).total == Decimal("2250.375")
    assert json.loads(cloudevent(TotalsChanged.model_validate(data), dt.datetime.now(dt.UTC), cause={}))["data"] == data
