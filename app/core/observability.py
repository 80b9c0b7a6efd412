"""Prometheus metrics, JSON logs and request ids."""
from __future__ import annotations

import json
import logging
import time
import uuid
from contextvars import ContextVar

from prometheus_client import Counter, Gauge, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from app.core.asgi import HttpMiddleware

REQUEST_LATENCY = Histogram("facegate_request_seconds", "HTTP request latency", ["method", "route", "status"],
                            buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10))
DECISIONS = Counter("facegate_decisions_total", "Door decisions", ["decision", "reason"])
GALLERY_TEMPLATES = Gauge("facegate_gallery_templates", "Templates in this replica's index")
GALLERY_REVISION = Gauge("facegate_gallery_revision", "Change-log revision this replica's index reflects")
REQUESTS_IN_FLIGHT = Gauge("facegate_requests_in_flight", "HTTP requests being answered now (this one included)")

request_id: ContextVar[str] = ContextVar("request_id", default="-")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                 "message": record.getMessage(), "request_id": request_id.get()}
        for key, value in record.__dict__.items():
            if key not in logging.LogRecord("", 0, "", 0, "", None, None).__dict__ and key not in entry \
                    and key not in ("message", "asctime"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class RequestContextMiddleware(HttpMiddleware):
    """Request id in (X-Request-ID) and out, latency by route template, one access log line."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        rid = headers.get("x-request-id") or uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        REQUESTS_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUESTS_IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            path = getattr(scope.get("route"), "path", "unmatched")
            REQUEST_LATENCY.labels(scope["method"], path, str(status)).observe(elapsed)
            logging.getLogger("facegate.http").info(
                "request", extra={"method": scope["method"], "route": path, "status": status,
                                  "ms": round(elapsed * 1000, 1)})
            request_id.reset(token)
