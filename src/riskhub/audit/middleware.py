"""One audit record per API call: who, what, which object, when, from where, and the outcome."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from riskhub.audit import service
from riskhub.db import tenancy
from riskhub.db.engine import get_engine


def install(app: FastAPI) -> None:
    """Audit every call under /api/, including refused and failed ones."""

    @app.middleware("http")
    async def audit_api_calls(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Each request starts acting for nobody, whatever ran before on this task.
        tenancy.set_party(None)
        if not request.url.path.startswith("/api/"):
            return await call_next(request)
        outcome = "500"
        try:
            response = await call_next(request)
            outcome = str(response.status_code)
            return response
        finally:
            principal = getattr(request.state, "principal", None)
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
