"""Apply Alembic migrations to the configured database (run at `facegate serve` and `migrate`)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from app.core.settings import REPO_ROOT

MIGRATION_LOCK_ID = 0x46474154  # "FGAT": one migrator at a time across replicas (PostgreSQL)


def upgrade_database(url: str) -> None:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
