"""ASGI app factories for the worker-supervisor tests: /pid answers the worker's process id; the
`failing` factory raises during startup, as a broken deployment would."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def _pid(_request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(os.getpid()))


def create_app() -> Starlette:
    return Starlette(routes=[Route("/pid", _pid)])


def failing() -> Starlette:
    raise RuntimeError("this deployment cannot start")
