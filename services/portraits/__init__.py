"""Knowing people and teams (知事识人, issue 20): a cadre's portrait, condition search over a jurisdiction, a
leadership team's structure against the ideal model of its unit class, and what-if moves on teams.

Where it lives, and why: the facts are the dossier's (posts, education, lists, grades, other sources' results:
events of the cadre's stream) and scoring's (points, screening, warnings, rankings). Neither service owns the
other's facts, so the pure logic is here, free of frameworks and I/O: ``facts`` (what the dossier knows of a
cadre on a day, as known at a moment), ``dimensions`` (the eight dimensions of a portrait, a versioned
configuration), ``search`` (the conditions and their predicates), ``team`` (a team's structure and the gaps to
its ideal model) and ``what_if`` (moves on paper). The dossier answers the facts of a cadre or of a unit
subtree (``services/dossier/portrait_facts.py``); the gateway asks both services and composes the answer
(``services/gateway/routes/portraits.py``), authorized and logged like every read.
"""
