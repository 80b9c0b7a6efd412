"""One error shape for the whole API: {"detail": {"reason": <machine code>, "message": <text>}}."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from app.core.reasons import (
    BAD_REQUEST,
    HTTP_STATUS,
    INTERNAL_ERROR,
    INVALID_REQUEST,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    REQUEST_TOO_LARGE,
    DomainError,
)

log = logging.getLogger("facegate")
# What Starlette itself answers (no route, wrong method, a body it cannot parse), in our words.
_HTTP_REASONS = {404: (NOT_FOUND, "there is no such resource"),
                 405: (METHOD_NOT_ALLOWED, "this resource does not take that method"),
                 413: (REQUEST_TOO_LARGE, "the request body is too large")}


def _body(reason: str, message: str, **extra: Any) -> dict:
    return {"detail": {"reason": reason, "message": message, **extra}}


def _summary(errors: list[dict]) -> str:
    """A sentence for people: which field, what is wrong (an unknown field is named as such)."""
    if not errors:
        return "the request is malformed"
    first = errors[0]
    field = ".".join(str(part) for part in first.get("loc", [])[1:]) or "the body"
    if first.get("type") == "extra_forbidden":
        return f"unknown field `{field}`: check its spelling against the API docs (/docs)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"`{field}`: {first.get('msg', 'invalid')}{more}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        headers = {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else None
        return JSONResponse(_body(exc.reason, exc.message, **exc.extra), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg")} for e in exc.errors()]
        return JSONResponse(_body(INVALID_REQUEST, _summary(exc.errors()), errors=errors),
                            status_code=HTTP_STATUS[INVALID_REQUEST])

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        reason, message = _HTTP_REASONS.get(exc.status_code, (BAD_REQUEST, str(exc.detail)))
        return JSONResponse(_body(reason, message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(DataError)
    async def _unstorable(_: Request, exc: DataError) -> JSONResponse:  # nothing was committed
        return JSONResponse(_body(INVALID_REQUEST, "a value cannot be stored: text with a NUL character, "
                                  "or a number out of range"), status_code=HTTP_STATUS[INVALID_REQUEST])

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", extra={"path": request.url.path})
        return JSONResponse(_body(INTERNAL_ERROR, "facegate failed to handle this request; it is logged"),
                            status_code=500)
