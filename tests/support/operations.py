"""How many operations the public API has: one number, asserted by the tests that walk the OpenAPI.

A route added or lost by accident changes the count and fails those tests; a deliberate one changes this number
and gives the new operation its row in the authorization matrix (tests/e2e/test_authorization_matrix.py).

The 77 (2026-12-06): 28 writes of OPERATIONS, 16 reads, what-if, daily refresh, imports, the access log (44 with
their kin); cadre search and tasks (issue 15); the annual assessment's 13 writes, 6 reads and its what-if (issue 16:
results, a subject, consequences, bulletins, warning notices, notices); the registration form, the printed-hash check
and the import templates (issue 18); the portrait's 3 facts and a result's revocation, the portrait, condition
search, team report and team what-if (issue 20).
"""

PUBLIC_OPERATIONS = 77
