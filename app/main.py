"""The FastAPI application: start-up order, routers, health and metrics."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from app.access.crops import reseal_event_crops
from app.access.router import router as access_router
from app.admin.keys import router as keys_router
from app.admin.router import router as admin_router
from app.core.edge import install_edge
from app.core.errors import install_error_handlers
from app.core.observability import GALLERY_REVISION, GALLERY_TEMPLATES, RequestContextMiddleware, configure_logging
from app.core.settings import Settings, get_settings
from app.explanations.router import router as explanation_router
from app.people.crops import reseal_crops
from app.people.router import router as people_router
from app.rights.router import router as rights_router
from app.runtime import RuntimeDep, start_runtime
from app.web.install import install_web

log = logging.getLogger("facegate")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = start_runtime(settings)
        with runtime.db.session() as session:
            sealed = reseal_crops(session, runtime.data_keys, only_plain=True) \
                + reseal_event_crops(session, runtime.data_keys, only_plain=True)
        if sealed:
            log.info("sealed plain face crops", extra={"crops": sealed})
        runtime.follow(settings.index_poll_seconds)
        app.state.runtime = runtime
        app.state.db = runtime.db
        log.info("facegate ready", extra={"model_id": runtime.model_id, "templates": len(runtime.gallery)})
        yield
        runtime.sync.stop()
        runtime.face_worker.close()  # in-flight verifications finish
        if settings.index_snapshot_path:
            runtime.sync.save(settings.index_snapshot_path)
        runtime.db.engine.dispose()

    app = FastAPI(title="facegate", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    install_edge(app, settings)
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)
    app.include_router(people_router)
    app.include_router(access_router)
    app.include_router(admin_router)
    app.include_router(keys_router)
    app.include_router(rights_router)
    app.include_router(explanation_router)
    install_web(app)  # console, terminal, local API docs

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    def readyz(runtime: RuntimeDep) -> JSONResponse:
        checks: dict[str, object] = {"model": runtime.model_id}
        try:
            with runtime.db.session() as session:
                session.execute(text("SELECT 1"))
            latest = runtime.sync.latest_revision()
            switched = runtime.sync.model_switched()  # set when this replica could not load the new model
            checks.update(database="ok", index_revision=runtime.sync.revision, database_revision=latest,
                          templates=len(runtime.gallery), **({"model_in_force": switched} if switched else {}))
            ready = runtime.sync.revision >= latest and switched is None
        except Exception:  # noqa: BLE001 - any database failure means not ready
            log.exception("readiness check: the database did not answer")
            checks["database"] = "unreachable (the server log has the error)"
            ready = False
        checks["status"] = "ready" if ready else "not_ready"
        return JSONResponse(checks, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["ops"])
    def metrics(runtime: RuntimeDep) -> Response:
        GALLERY_TEMPLATES.set(len(runtime.gallery))
        GALLERY_REVISION.set(runtime.sync.revision)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def app_factory() -> FastAPI:
    """uvicorn --factory entry point."""
    configure_logging(get_settings().log_level)
    return create_app()
