"""The kept day sheet (issues 20 and 22): one row per registered cadre for the projection's current day, as held
now, so that the reads that need the whole city (a cadre's bands in its class group, totals of many cadres, the
screening of many cadres, a class ranking) read rows instead of loading every cadre's facts (87 s at a city's
68,553 cadres, 167 s for the city's screening).

What a row holds (``tables.py``): the day, the rule set, the three-year total (positive, negative), the screening
verdict with the rules that excluded and those unknown, the cadre's name and unit; a child row per ranking group
the cadre belongs to (``ranking.ranking_groups``) with its total. A band is then three counts in the group
(``reads.py``): rank = 1 + those above, the tie = those equal, n = all; ``ranking.band_at`` says the band.

Who keeps it (``keep.py``):
- the consumer, in each batch's transaction, for the cadres the batch touched (a unit's event touches the cadres
  holding a post in that unit), once a daily refresh has started filling the sheet for the consumer's day;
- the daily refresh (``service.daily_refresh``), for every cadre, in chunks of their own transactions after its
  long transaction, so a consumer batch never waits on it for more than a chunk.

Why it stays correct. Each write carries a number from the sequence ``day_sheet_seq``, and a row is replaced only
by a write carrying a number at least as high (idempotent: the same write twice is the same row). The consumer
takes its number under the transaction advisory lock ``SHEET_LOCK``, held to its commit, after applying its facts;
so consumer writes are numbered in commit order, and each read facts that hold every earlier batch. The refresh
takes its number under the same lock (``begin_fill``), so every batch numbered before it has committed before the
refresh reads any fact: what it computes is at least as new as any row numbered below it, and any row numbered
above it (a batch that committed later) is left alone. A stream version alone would not do: a unit's event (its
class, its prizes) changes its cadres' rows without moving their streams.

When a read may use it: only when the state row says the sheet is complete for that day under the day's rule set,
as held now (no ``known_at``). ``begin_fill`` marks the sheet filling for its day (not complete, unless it was
complete for that day already: then every row stays exact while the fill replaces it); ``finish_fill``
drops the rows it did not write nor any newer batch (cadres no longer registered), and marks it complete unless
another fill started meanwhile or a consumer batch for another day spoiled it: a batch whose day is not the
sheet's day (after midnight, before the refresh ran; an import before any refresh) writes no rows and marks the
sheet not complete. Every other read computes as before (the sheet is a fast path, never the only one). A reset
(``projection.reset``) empties it; a rebuild into a new database starts with it empty (no state row: not valid).

Kept on PostgreSQL only: on SQLite (one process, small) nothing is kept and every read computes.
"""
