"""The FastAPI application: every feature's router, assembled in one place."""

from __future__ import annotations

from fastapi import FastAPI

from riskhub import __version__, logs
from riskhub.access.routes import router as access_router
from riskhub.api_types import ERROR_RESPONSES
from riskhub.assessments.routes import router as assessments_router
from riskhub.audit import middleware as audit_middleware
from riskhub.audit.routes import router as audit_router
from riskhub.declarations import schemas as declaration_schemas
from riskhub.declarations.routes import aggregates as aggregates_router
from riskhub.declarations.routes import router as declarations_router
from riskhub.exchange import schemas as exchange_schemas
from riskhub.exchange.routes import router as exchange_router
from riskhub.governance.common_profiles.routes import router as common_profiles_router
from riskhub.governance.joint_actions.routes import router as joint_actions_router
from riskhub.governance.rifs.routes import router as rifs_router
from riskhub.governance.risks.routes import router as risks_router
from riskhub.inspections.routes import feedback as feedback_router
from riskhub.inspections.routes import protocols as checklists_router
from riskhub.inspections.routes import router as inspections_router
from riskhub.kpis.routes import router as kpis_router
from riskhub.matching.routes import router as matching_router
from riskhub.profiles.routes import lists as lists_router
from riskhub.profiles.routes import router as profiles_router
from riskhub.registries.lpco.routes import router as lpco_router
from riskhub.registries.routes import router as aeo_router
from riskhub.selectivity.routes import offices as offices_router
from riskhub.selectivity.routes import queue as queue_router
from riskhub.selectivity.routes import router as selectivity_router
from riskhub.training.routes import router as training_router
from riskhub.web import routes as web


def create_app() -> FastAPI:
    """A new application instance (tests make their own)."""
    logs.configure()
    app = FastAPI(
        title="riskhub",
        version=__version__,
        description="Customs Risk Information Hub of the CEFTA Parties.",
        responses=ERROR_RESPONSES,
    )
    app.include_router(access_router)
    app.include_router(declarations_router)
    app.include_router(aggregates_router)
    app.include_router(audit_router)
    app.include_router(profiles_router)
    app.include_router(lists_router)
    app.include_router(selectivity_router)
    app.include_router(offices_router)
    app.include_router(queue_router)
    app.include_router(inspections_router)
    app.include_router(checklists_router)
    app.include_router(feedback_router)
    app.include_router(kpis_router)
    app.include_router(exchange_router)
    app.include_router(matching_router)
    app.include_router(rifs_router)
    app.include_router(common_profiles_router)
    app.include_router(risks_router)
    app.include_router(joint_actions_router)
    app.include_router(aeo_router)
    app.include_router(lpco_router)
    app.include_router(assessments_router)
    app.include_router(training_router)
    web.install(app)
    audit_middleware.install(app)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    _publish_input_schemas(app)
    return app


def _publish_input_schemas(app: FastAPI) -> None:
    """Put the input shapes that routes read themselves (size-capped) into the OpenAPI document."""
    original = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = original()
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        for model in (
            declaration_schemas.DeclarationIn,
            declaration_schemas.DeclarationBatchIn,
            exchange_schemas.MessagesIn,
        ):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(schema.pop("$defs", {}))
            components[model.__name__] = schema
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
