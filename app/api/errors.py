"""Every error leaves the service as JSON `{"error": code, "message": …}`; never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from kg.stores.base import StoreUnavailable
from models.generators.base import GeneratorError

log = logging.getLogger("qizhen.api")


class ErrorBody(BaseModel):
    error: str
    message: str


class ApiError(Exception):
    """Raised by routes and dependencies; rendered by `api_error_handler`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(error=code, message=message).model_dump(), status_code=status, headers=headers)


#: OpenAPI `responses=` entries, so the schema declares every error a route can give.
def error_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    texts = {
        401: "missing or wrong API key",
        404: "not found",
        413: "question too long",
        422: "invalid request",
        500: "internal error",
        503: "graph store or generator unavailable",
    }
    return {s: {"model": ErrorBody, "description": texts[s]} for s in statuses}


_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 406: "not_acceptable", 413: "too_large", 415: "unsupported_media_type"}


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # FastAPI's "error parsing the body" (bad bytes/encoding): an invalid body
        return error_response(422, "invalid_request", f"the request body could not be parsed: {exc.detail}")
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.method} {request.url.path}"
    return error_response(exc.status_code, code, message, getattr(exc, "headers", None))


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        parts.append(f"{loc or 'body'}: {err.get('msg', 'invalid')}")
    return error_response(422, "invalid_request", "; ".join(parts) or "invalid request")


async def store_unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    log.warning("graph store unavailable: %s", exc)
    return error_response(503, "graph_unavailable", f"the knowledge graph is unavailable: {exc}",
                          headers={"Retry-After": "5"})


async def generator_error_handler(request: Request, exc: Exception) -> JSONResponse:
    log.warning("generator unavailable: %s", exc)
    return error_response(503, "generator_unavailable", f"the answer generator is unavailable: {exc}",
                          headers={"Retry-After": "5"})


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal server error (details are in the server log)")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StoreUnavailable, store_unavailable_handler)
    app.add_exception_handler(GeneratorError, generator_error_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)
