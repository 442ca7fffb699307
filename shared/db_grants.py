"""Least privilege on PostgreSQL: what each service's run-time role may do in its database (issue 19).

Each service has two roles: an owner, which owns the database and its tables and runs the migrations
(``shiji migrate`` with ``SHIJI_<SERVICE>_MIGRATION_DATABASE_URL``), and the role the service runs as
(``SHIJI_<SERVICE>_DATABASE_URL``), which may not change the schema and gets only these grants, given
by the owner after every migration (so new tables are covered):

- every table: SELECT, INSERT, UPDATE, DELETE; sequences: USAGE, SELECT;
- the append-only tables (the dossier's ``events`` and ``access_log``): SELECT and INSERT only. Their
  triggers refuse UPDATE and DELETE too, but the owner can drop triggers; without the privilege, the
  run-time role cannot change a recorded event even then;
- ``alembic_version``: SELECT (readiness compares it with the build's head);
- the database: CONNECT and TEMPORARY for the run-time role, nothing for PUBLIC, so no other
  service's role (scoring's) can even connect to it;
- the dossier's store reader (``SHIJI_DOSSIER_STORE_READER_ROLE``): CONNECT and SELECT on ``events``,
  for ``shiji rebuild scoring --from-store``, which is given a URL with that role.

The roles themselves are made by whoever runs PostgreSQL (deploy/local/postgres.sh locally; in a
cluster, the DBA): a role cannot create roles here, only grant on what it owns.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url

from shared.db import make_engine

APPEND_ONLY = {"dossier": ("events", "access_log"), "scoring": ()}
STORE_READS = ("events",)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def role_of(url: str) -> str | None:
    return make_url(url).username


def grant_statements(service: str, database: str, tables: list[str], runtime_role: str,
                     reader_role: str | None = None) -> list[str]:
    """The statements giving ``runtime_role`` (and ``reader_role``) exactly their privileges on ``database``."""
    db, role = _ident(database), _ident(runtime_role)
    statements = [f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
                  f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {role}",
                  f"GRANT USAGE ON SCHEMA public TO {role}",
                  f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"]
    for table in tables:
        if table == "alembic_version" or table in APPEND_ONLY[service]:
            privileges = "SELECT" if table == "alembic_version" else "SELECT, INSERT"
            statements += [f"REVOKE ALL ON {_ident(table)} FROM {role}",
                           f"GRANT {privileges} ON {_ident(table)} TO {role}"]
        else:
            statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {_ident(table)} TO {role}")
    if reader_role:
        reader = _ident(reader_role)
        statements += [f"GRANT CONNECT ON DATABASE {db} TO {reader}", f"GRANT USAGE ON SCHEMA public TO {reader}",
                       *(f"GRANT SELECT ON {_ident(t)} TO {reader}" for t in STORE_READS)]
    return statements


async def grant_runtime_access(service: str, owner_url: str, runtime_role: str, reader_role: str | None = None) -> None:
    """As the owner (``owner_url``), give ``service``'s run-time role its privileges (idempotent)."""
    engine = make_engine(owner_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            database = (await conn.execute(text("SELECT current_database()"))).scalar_one()
            tables = list((await conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"))).scalars())
            for statement in grant_statements(service, database, tables, runtime_role, reader_role):
                await conn.execute(text(statement))
    finally:
        await engine.dispose()
