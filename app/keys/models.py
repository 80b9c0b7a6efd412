"""API keys: a role each (admin, enroll, terminal), a terminal key optionally bound to one door;
and the security events about them (created, revoked, failed authentication), chained."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow
from app.security.chain import Chained, ChainSpec

ADMIN, ENROLL, TERMINAL = "admin", "enroll", "terminal"
ROLES = (ADMIN, ENROLL, TERMINAL)
HMAC_SCHEME, LEGACY_SHA256 = "hmac", "sha256"


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash_scheme: Mapped[str] = mapped_column(String(10), default=HMAC_SCHEME)
    prefix: Mapped[str | None] = mapped_column(String(12))  # only for generated keys (random, not chosen)
    role: Mapped[str] = mapped_column(String(10))
    door_id: Mapped[int | None] = mapped_column(ForeignKey("door.id"))
    bootstrap: Mapped[bool] = mapped_column(Boolean, default=False)  # the one FACEGATE_ADMIN_KEY made
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


KEY_CREATED, KEY_REVOKED, AUTH_FAILED, AUTH_FORBIDDEN = "key_created", "key_revoked", "auth_failed", "auth_forbidden"


class SecurityEvent(Chained, Base):
    __tablename__ = "security_event"
    __chain__ = ChainSpec(fields=("created_at", "kind", "api_key_id", "actor_key_id", "client", "detail"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    api_key_id: Mapped[int | None] = mapped_column(Integer)  # the key concerned
    actor_key_id: Mapped[int | None] = mapped_column(Integer)  # who did it (None: the CLI or start-up)
    client: Mapped[str | None] = mapped_column(String(64))  # the client address of a failed request
    detail: Mapped[str | None] = mapped_column(String(300))
