"""Apply Alembic migrations to the configured database (run at `facegate serve` and `migrate`)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from app.core.settings import REPO_ROOT


def upgrade_database(url: str) -> None:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["url"] = url
    command.upgrade(config, "head")
