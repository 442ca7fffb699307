"""Alembic environment of the dossier service (its own history, its own database).

Run through `shiji migrate`, which hands a connection in `config.attributes["connection"]`.
"""

from alembic import context

from services.dossier.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with 'shiji migrate'")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
