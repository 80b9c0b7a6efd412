"""API docs from local files (Swagger UI and ReDoc, vendored) with a Bearer scheme so "Authorize" works."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "type": "object", "required": ["detail"],
    "properties": {"detail": {"type": "object", "required": ["reason", "message"], "properties": {
        "reason": {"type": "string", "description": "machine-readable code, e.g. invalid_key"},
        "message": {"type": "string"}}}},
}
ERROR_RESPONSES = {
    "401": "no key, or an unknown or revoked key (reasons unauthenticated, invalid_key, session_expired)",
    "403": "the key's role may not do this (forbidden, wrong_door, csrf_failed)",
    "422": "the request is malformed (invalid_request) or refused (see reason)",
}
TOO_LARGE = "the body is larger than this operation takes (request_too_large; app/core/edge.py)"
PUBLIC = {("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics"), ("post", "/web/session")}


def bearer_openapi(app: FastAPI) -> dict:
    """The generated schema plus the Bearer scheme, and the error envelope on every operation."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes,
                         description="facegate: face and badge access control. Authorize with an API key.")
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http", "scheme": "bearer", "description": "an API key: fg_..."}
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            operation.setdefault("summary", operation.get("operationId", path))
            responses = operation.setdefault("responses", {})
            if (method, path) in PUBLIC:
                operation["security"] = []
            else:
                operation["security"] = [{"bearer": []}]
                for status, text in ERROR_RESPONSES.items():
                    responses.setdefault(status, {"description": text})
            if "requestBody" in operation:
                responses.setdefault("413", {"description": TOO_LARGE})
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    app.openapi_schema = schema
    return schema
