"""TLS to PostgreSQL, read from the database URL the way libpq reads it (issue 19).

A URL names its transport security in its query, as every PostgreSQL client understands it:
``?sslmode=verify-full&sslrootcert=/path/ca.crt``. asyncpg understands these in its own DSNs, but
SQLAlchemy hands the query to ``asyncpg.connect`` as keyword arguments, which it does not take; so
``split_tls`` takes them off the URL and makes the ``ssl.SSLContext`` they mean. ``verify-full``
checks the server's certificate against the root and its name (or IP) against the host connected to:
that, with a SCRAM password, is what production requires (``transport_problems``).
"""

from __future__ import annotations

import ssl

from sqlalchemy.engine import make_url

VERIFYING = ("verify-ca", "verify-full")


def split_tls(url: str) -> tuple[str, ssl.SSLContext | str | None]:
    """``url`` without its sslmode/sslrootcert, and what to give asyncpg as ``ssl`` (None: asyncpg's default)."""
    parsed = make_url(url)
    mode = parsed.query.get("sslmode")
    root = parsed.query.get("sslrootcert")
    if mode is None and root is None:
        return url, None
    bare = parsed.difference_update_query(["sslmode", "sslrootcert"]).render_as_string(hide_password=False)
    if mode in VERIFYING:
        context = ssl.create_default_context(cafile=root)
        context.check_hostname = mode == "verify-full"
        return bare, context
    return bare, mode  # disable, allow, prefer, require: asyncpg takes these by name


def transport_problems(url: str) -> list[str]:
    """Why a database URL is not fit for production; empty when it is."""
    if url.startswith("sqlite"):
        return ["points at SQLite: production runs on PostgreSQL"]
    parsed = make_url(url)
    problems = []
    if parsed.query.get("sslmode") != "verify-full" or not parsed.query.get("sslrootcert"):
        problems.append("must ask for TLS with server verification: ?sslmode=verify-full&sslrootcert=<CA file>")
    if not parsed.password:
        problems.append("must carry the service's own role and password")
    if parsed.username == "postgres":
        problems.append("must not log in as the superuser postgres: the service runs as its own role")
    return problems
