"""The one database-session dependency: a session per request, from the app's Database.

Routes never commit; services do (or roll back). The session closes when the request ends.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session


def request_session(request: Request) -> Iterator[Session]:
    yield from request.app.state.db.scoped()


SessionDep = Annotated[Session, Depends(request_session)]
