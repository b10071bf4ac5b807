"""One audit record per API call and page request: who, what, which object, when, from where,
and the outcome."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from riskhub.audit import service
from riskhub.db import tenancy
from riskhub.db.engine import get_engine

# Not audited: files and probes that show no data, the API's own description, and the
# sign-in and sign-out forms, which write their own records (web.sign_in, web.sign_out).
UNAUDITED = ("/static/", "/healthz", "/metrics", "/docs", "/redoc", "/openapi.json",
             "/favicon.ico", "/login", "/logout")  # fmt: skip


def audited(path: str) -> bool:
    """Whether a request for ``path`` gets an audit record."""
    return path.startswith("/api/") or not path.startswith(UNAUDITED)


def install(app: FastAPI) -> None:
    """Audit every API call and page request, including refused and failed ones."""

    @app.middleware("http")
    async def audit_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Each request starts acting for nobody, whatever ran before on this task.
        tenancy.set_party(None)
        if not audited(request.url.path):
            return await call_next(request)
        outcome = "500"
        try:
            response = await call_next(request)
            outcome = str(response.status_code)
            return response
        finally:
            # The API's caller, or the page's signed-in user (set even when the role was
            # refused); nobody when the request was sent to sign in first.
            principal = getattr(request.state, "principal", None) or getattr(
                request.state, "page_user", None
            )
            route = request.scope.get("route")
            params = request.scope.get("path_params") or {}
            await run_in_threadpool(
                service.append,
                engine=get_engine(),
                party=principal.party if principal else None,
                actor=principal.describe() if principal else "anonymous",
                action=f"{request.method} {getattr(route, 'path', request.url.path)}",
                object=",".join(f"{k}={v}" for k, v in sorted(params.items())) or None,
                outcome=outcome,
                source=request.client.host if request.client else None,
            )
