"""The request edge: refuse what a route cannot take before reading it.

FastAPI reads and parses a request's whole body before it runs any dependency, so an
unauthenticated 300 MB upload used to be read in full before its 401, and a form of 150
files was spooled to disk before the 1..20 image check. Routes built with `EdgeRoute` (every
router's `route_class`) instead, in this order:

1. refuse a declared Content-Length above the route's cap (413, nothing read);
2. run the `before_body` hooks of their dependencies (the API-key check, app/keys/auth.py),
   so a caller without a valid key is answered 401/403 without its body being touched;
3. read the body themselves, under the cap, with multipart file and field counts bounded by
   what the route accepts (`accepts_files`), refuse text holding a NUL character (PostgreSQL
   cannot store one), and only then hand the body to FastAPI (which reuses what was read).

`BodyLimitMiddleware` counts the bytes of every body as they arrive, so one sent without a
length (chunked) is refused the moment it passes the cap of the route that reads it.
"""
from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.params import Form
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from app.core.asgi import HttpMiddleware
from app.core.reasons import BAD_REQUEST, INVALID_REQUEST, REQUEST_TOO_LARGE, DomainError
from app.core.settings import Settings

JSON_BODY_BYTES = 2**20  # every JSON body the API takes is a few KB
FIELD_BYTES = 64 * 2**10  # one text field of a form (names are at most a few hundred characters)
PART_OVERHEAD = 16 * 2**10  # a multipart part's boundary and headers
_CAP_KEY = "facegate.body_cap"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


@dataclass(frozen=True)
class FormLimits:
    files: int | Callable[[Settings], int]  # a count, or the setting that gives it
    fields: int

    def file_count(self, settings: Settings) -> int:
        return self.files if isinstance(self.files, int) else self.files(settings)

    def cap(self, settings: Settings) -> int:
        """Every file at its largest, and the text fields together as much as a JSON body."""
        return self.file_count(settings) * (settings.max_upload_bytes + PART_OVERHEAD) + JSON_BODY_BYTES


def accepts_files(files: int | Callable[[Settings], int], fields: int = 16) -> Callable[[Endpoint], Endpoint]:
    """Mark a multipart route with the most files and text fields it can use; its body cap follows."""
    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.form_limits = FormLimits(files, fields)  # type: ignore[attr-defined]
        return endpoint

    return mark


def megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 2**10:.0f} KB"


def _before_body_hooks(dependant: Dependant) -> list[Callable[[Request], object]]:
    hooks = []
    for sub in dependant.dependencies:
        hook = getattr(sub.call, "before_body", None)
        if hook is not None:
            hooks.append(hook)
        hooks.extend(_before_body_hooks(sub))
    return hooks


def _declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    if not value.isdigit():
        raise DomainError(BAD_REQUEST, "Content-Length must be a number of bytes")
    return int(value)


class EdgeRoute(APIRoute):
    """An APIRoute that bounds and authenticates a request before its body is read (see the module)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        hooks = _before_body_hooks(self.dependant)
        limits: FormLimits | None = getattr(self.endpoint, "form_limits", None)
        reads_form = self.body_field is not None and isinstance(self.body_field.field_info, Form)
        reads_body = self.body_field is not None
        form_names = frozenset(param.alias for param in self.dependant.body_params)

        async def guarded(request: Request) -> Response:
            settings: Settings = request.app.state.edge_settings
            cap = limits.cap(settings) if limits else JSON_BODY_BYTES
            declared = _declared_length(request)
            if declared is not None and declared > cap:
                raise DomainError(REQUEST_TOO_LARGE, f"the body is {megabytes(declared)}; "
                                  f"this route takes at most {megabytes(cap)}", limit_bytes=cap)
            request.scope[_CAP_KEY] = cap
            for hook in hooks:
                await run_in_threadpool(hook, request)
            texts: list[object] = [*request.path_params.values(), *request.query_params.values()]
            if reads_form:
                texts += await _read_form(request, limits.file_count(settings) if limits else 0,
                                          limits.fields if limits else 16, form_names)
            elif reads_body:
                texts.append(await _read_json(request))
            if _has_nul(texts):  # PostgreSQL cannot store it, and no name or badge holds one
                raise DomainError(INVALID_REQUEST, "text may not contain NUL characters")
            return await handler(request)  # FastAPI reuses the form or body read above

        return guarded


async def _read_form(request: Request, files: int, fields: int, names: frozenset[str]) -> list[str]:
    """Read the form within the route's counts, refusing a field the route does not take (a
    misspelt `alow_duplicate` must not be ignored); its text fields."""
    try:
        form = await request.form(max_files=files, max_fields=fields, max_part_size=FIELD_BYTES)
    except HTTPException as exc:  # Starlette's multipart errors: too many files or fields, a field too long
        raise DomainError(INVALID_REQUEST, str(exc.detail)) from exc
    unknown = sorted(set(form.keys()) - names)
    if unknown:
        raise DomainError(INVALID_REQUEST, f"unknown form field `{unknown[0]}`; this route takes: "
                          + ", ".join(sorted(names)), unknown_fields=unknown)
    return [value for _, value in form.multi_items() if isinstance(value, str)]


async def _read_json(request: Request) -> object:
    """Read the body; its JSON when it is some (a malformed one is left to FastAPI to answer)."""
    body = await request.body()
    if not body or "json" not in request.headers.get("content-type", ""):
        return None
    try:
        return await request.json()
    except ValueError:
        return None


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class BodyLimitMiddleware(HttpMiddleware):
    """Counts a request body's bytes as they arrive and refuses it (413) once they pass the cap of
    the route reading it (JSON_BODY_BYTES until a route sets its own)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                cap = scope.get(_CAP_KEY, JSON_BODY_BYTES)
                if received > cap:
                    raise DomainError(REQUEST_TOO_LARGE, f"the body passed {megabytes(cap)}, the most "
                                      "this route takes", limit_bytes=cap)
            return message

        await self.app(scope, counted, send)


def install_edge(app: FastAPI, settings: Settings) -> None:
    """Count every body; the settings (one photo's size, photos per enrolment) size the routes' caps."""
    app.state.edge_settings = settings
    app.add_middleware(BodyLimitMiddleware)
