"""One error shape for the whole API: {"detail": {"reason": <machine code>, "message": <text>}}."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.face.errors import IMAGE_TOO_LARGE, FaceRejected


class ApiError(Exception):
    def __init__(self, status: int, reason: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.extra = status, reason, message, extra


def _body(reason: str, message: str, **extra: Any) -> dict:
    return {"detail": {"reason": reason, "message": message, **extra}}


def face_status(exc: FaceRejected) -> int:
    return 413 if exc.reason == IMAGE_TOO_LARGE else 422


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.reason, exc.message, **exc.extra), status_code=exc.status)

    @app.exception_handler(FaceRejected)
    async def _face_rejected(_: Request, exc: FaceRejected) -> JSONResponse:
        return JSONResponse(_body(exc.reason, exc.message), status_code=face_status(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg")} for e in exc.errors()]
        return JSONResponse(_body("invalid_request", "the request is malformed", errors=errors), status_code=422)
