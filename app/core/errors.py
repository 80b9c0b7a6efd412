"""One error shape for the whole API: {"detail": {"reason": <machine code>, "message": <text>}}."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.core.reasons import HTTP_STATUS, INVALID_REQUEST, DomainError


def _body(reason: str, message: str, **extra: Any) -> dict:
    return {"detail": {"reason": reason, "message": message, **extra}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(_body(exc.reason, exc.message, **exc.extra), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg")} for e in exc.errors()]
        return JSONResponse(_body(INVALID_REQUEST, "the request is malformed", errors=errors),
                            status_code=HTTP_STATUS[INVALID_REQUEST])
