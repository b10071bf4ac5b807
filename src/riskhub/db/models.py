"""Imports every table module so that the metadata is complete (for Alembic and tests)."""

from __future__ import annotations


def load_all_models() -> None:
    """Import each feature's tables; add new feature packages here."""
    import riskhub.access.models
    import riskhub.actionplan.models
    import riskhub.assessments.models
    import riskhub.audit.models
    import riskhub.declarations.models
    import riskhub.exchange.models
    import riskhub.governance.common_profiles.models
    import riskhub.governance.joint_actions.models
    import riskhub.governance.rifs.models
    import riskhub.governance.risks.models
    import riskhub.inspections.models
    import riskhub.jobs.models
    import riskhub.kpis.models
    import riskhub.matching.models
    import riskhub.profiles.models
    import riskhub.registries.lpco.models
    import riskhub.registries.models
    import riskhub.selectivity.models
    import riskhub.targeting.models
    import riskhub.training.models
    import riskhub.web.models  # noqa: F401
