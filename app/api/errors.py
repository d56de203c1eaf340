"""Every error leaves the service as JSON `{"error": code, "message": …}`; never a stack trace.

`error` is a stable machine-readable code; `message` is Chinese, for the people who read it (the
UI shows it as is). Messages say what failed without file paths, URLs, Bolt URIs or upstream
error bodies — those can carry credentials or describe the host; the server log keeps the details
(with credentials in URLs redacted).
"""

from __future__ import annotations

import logging
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.executor import Busy, DeadlineExceeded
from kg.redaction import redact
from kg.stores.base import StoreUnavailable
from models.generators.base import GeneratorError

log = logging.getLogger("qizhen.api")

#: the Chinese message of every error code (str.format fields filled per error)
MESSAGES: dict[str, str] = {
    "bad_request": "请求无法解析。",
    "unauthorized": "需要有效的 API 密钥（X-API-Key 或 Authorization: Bearer）。",
    "forbidden": "没有权限访问。",
    "not_found": "没有这个接口：{method} {path}",
    "entity_not_found": "知识库中没有找到这个实体。",
    "method_not_allowed": "该接口不支持这种请求方法。",
    "not_acceptable": "无法提供所要求的响应格式。",
    "unsupported_media_type": "不支持的请求内容类型，请发送 JSON。",
    "invalid_request": "请求内容不符合要求（{fields}）。",
    "question_too_long": "问题过长：共 {length} 个字，上限为 {limit} 个字。请精简后再问。",
    "history_too_long": "对话历史过长（上限：用户每轮 {turn_limit} 个字，全部历史共 {limit} 个字）。请开始新对话。",
    "history_too_many_turns": "对话历史轮数过多：共 {turns} 轮，上限为 {limit} 轮。请开始新对话。",
    "body_too_large": "请求体过大（上限 {limit} 字节）。",
    "body_timeout": "请求体发送过慢（须在 {seconds:g} 秒内发完），连接已关闭。",
    "unknown_generator": "该服务未启用生成器“{name}”，可选：{enabled}。",
    "graph_unavailable": "知识图谱暂时无法访问，请稍后重试。",
    "graph_starting": "服务正在加载知识图谱，请稍后重试。",
    "starting": "服务正在启动，请稍后重试。",
    "generator_unavailable": "回答生成服务暂时无法使用，请稍后重试。",
    "busy": "服务繁忙，请稍后重试。",
    "rate_limited": "提交过于频繁，请 {seconds} 秒后再试。",
    "timeout": "处理超时（超过 {seconds:g} 秒），请稍后重试或换一种更简短的问法。",
    "internal_error": "服务器内部错误，详情已记录在服务器日志中。",
    "http_error": "请求失败。",
}


def message_for(code: str, **fmt: object) -> str:
    template = MESSAGES.get(code, MESSAGES["http_error"])
    try:
        return template.format(**fmt)
    except (KeyError, IndexError, ValueError):
        return template.split("（")[0].split("：")[0].rstrip("，。") + "。"


class ErrorBody(BaseModel):
    error: str
    message: str


class ApiError(Exception):
    """Raised by routes and dependencies; rendered by `api_error_handler`."""

    def __init__(self, status: int, code: str, headers: dict[str, str] | None = None, **fmt: object) -> None:
        self.status = status
        self.code = code
        self.message = message_for(code, **fmt)
        self.headers = headers
        super().__init__(self.message)


def error_response(status: int, code: str, headers: dict[str, str] | None = None, **fmt: object) -> JSONResponse:
    return JSONResponse(ErrorBody(error=code, message=message_for(code, **fmt)).model_dump(), status_code=status,
                        headers=headers)


#: OpenAPI `responses=` entries, so the schema declares every error a route can give.
def error_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    texts = {
        401: "missing or wrong API key",
        404: "not found",
        413: "question, history or body too long",
        422: "invalid request",
        429: "too many requests from this client (Retry-After says when to try again)",
        500: "internal error",
        503: "graph store or generator unavailable, service starting, or busy",
        504: "the request ran past its deadline",
    }
    return {s: {"model": ErrorBody, "description": texts[s]} for s in statuses}


_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 406: "not_acceptable", 413: "body_too_large", 415: "unsupported_media_type",
                 429: "rate_limited"}


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(ErrorBody(error=exc.code, message=exc.message).model_dump(), status_code=exc.status,
                        headers=exc.headers)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # FastAPI's "error parsing the body" (bad bytes/encoding): an invalid body
        return error_response(422, "invalid_request", fields="body")
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, getattr(exc, "headers", None), method=request.method,
                          path=request.url.path[:200])


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields: list[str] = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        if loc not in fields:
            fields.append(loc)
    return error_response(422, "invalid_request", fields="字段：" + "、".join(fields) if fields else "body")


def store_unavailable_response(exc: BaseException) -> JSONResponse:
    log.warning("graph store unavailable: %s", redact(str(exc)))
    return error_response(503, "graph_unavailable", {"Retry-After": "5"})


def generator_unavailable_response(exc: BaseException) -> JSONResponse:
    log.warning("generator unavailable: %s", redact(str(exc)))
    return error_response(503, "generator_unavailable", {"Retry-After": "5"})


async def store_unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    return store_unavailable_response(exc)


async def generator_error_handler(request: Request, exc: Exception) -> JSONResponse:
    return generator_unavailable_response(exc)


async def busy_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Busy)
    log.warning("refused %s %s: %s", request.method, request.url.path, exc)
    return error_response(503, "busy", {"Retry-After": "1"})


async def deadline_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DeadlineExceeded)
    log.warning("deadline exceeded on %s %s: %s", request.method, request.url.path, exc)
    return error_response(504, "timeout", seconds=exc.seconds)


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    trace = "".join(traceback.format_exception(exc))
    log.error("unhandled error on %s %s\n%s", request.method, request.url.path, redact(trace))
    return error_response(500, "internal_error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StoreUnavailable, store_unavailable_handler)
    app.add_exception_handler(GeneratorError, generator_error_handler)
    app.add_exception_handler(Busy, busy_handler)
    app.add_exception_handler(DeadlineExceeded, deadline_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)
