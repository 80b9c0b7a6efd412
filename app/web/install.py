"""Wires the browser surface into the app: routes, static files, the session hook, the docs schema."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.web import docs, events_router, faces_router, pages, session_router, terminal_router
from app.web.sessions import key_from_cookie


def install_web(app: FastAPI) -> None:
    """Call after the API routers (the app must be built with docs_url=None, redoc_url=None)."""
    app.state.session_key = key_from_cookie
    for module in (session_router, faces_router, events_router, terminal_router, pages):
        app.include_router(module.router)
    app.mount("/web/static", StaticFiles(directory=pages.STATIC), name="web-static")
    app.openapi = lambda: docs.bearer_openapi(app)  # type: ignore[method-assign]
