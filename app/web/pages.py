"""The HTML pages: console at /, terminal at /terminal, API docs at /docs and /redoc."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from app.core.edge import EdgeRoute

STATIC = Path(__file__).parent / "static"
# Everything comes from this origin; no inline script anywhere; pages may not be framed.
APP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
           "media-src 'self' blob: mediastream:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'")
# The vendored doc renderers set inline styles and ReDoc runs a blob: worker.
DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'")

router = APIRouter(route_class=EdgeRoute, include_in_schema=False)


def _page(name: str, csp: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html",
                        headers={"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
                                 "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"})


@router.get("/")
def console() -> FileResponse:
    return _page("console.html", APP_CSP)


@router.get("/terminal")
def terminal() -> FileResponse:
    return _page("terminal.html", APP_CSP)


@router.get("/docs")
def swagger_ui() -> FileResponse:
    return _page("swagger.html", DOCS_CSP)


@router.get("/redoc")
def redoc() -> FileResponse:
    return _page("redoc.html", DOCS_CSP)
