"""Apply Alembic migrations to the configured database (run at `facegate serve` and `migrate`)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

MIGRATION_LOCK_ID = 0x46474154  # "FGAT": one migrator at a time across replicas (PostgreSQL)
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"  # shipped inside the package


def alembic_config() -> Config:
    """Alembic's configuration, set in code so that an installed package finds its migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_database(url: str) -> None:
    config = alembic_config()
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
