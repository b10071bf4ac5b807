"""Roles, and what each may do: the one table of permissions every route consults."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"  # customs officer at a BCP/CCP, scoped to their office(s)
    ANALYST = "analyst"  # risk analyst of an administration
    PARTY_ADMIN = "party_admin"  # manages the users of their administration
    RMWG = "rmwg"  # member of the Risk Management Working Group
    SECRETARIAT = "secretariat"  # CEFTA Secretariat: aggregates only
    AGENCY_OFFICER = "agency_officer"  # phytosanitary, veterinary, market surveillance
    EU_PARTNER = "eu_partner"  # exchange only
    AUDITOR = "auditor"  # reads the audit log


class Permission(StrEnum):
    DECLARATIONS_SUBMIT = "declarations:submit"
    DECLARATIONS_READ = "declarations:read"
    AGGREGATES_READ = "aggregates:read"
    USERS_MANAGE = "users:manage"
    AUDIT_READ = "audit:read"
    PROFILES_READ = "profiles:read"
    PROFILES_WRITE = "profiles:write"
    DECISIONS_READ = "decisions:read"
    SELECTIVITY_MANAGE = "selectivity:manage"  # office random rates, targets, capacity
    INSPECTIONS_RECORD = "inspections:record"
    INSPECTIONS_READ = "inspections:read"
    CHECKLISTS_READ = "checklists:read"
    EXCHANGE_PULL = "exchange:pull"  # a partner's system fetching the messages meant for it
    EXCHANGE_READ = "exchange:read"  # the exchange monitor of one's own Party
    FINDINGS_READ = "findings:read"  # matching findings on one's own Party's declarations
    # Governance (RMWG mandate): what the Parties agree and share about risks.
    GOVERNANCE_READ = "governance:read"  # common profiles, votes, register, joint actions
    RIFS_READ = "rifs:read"  # Risk Information Forms raised or shared with one's Party
    RIFS_WRITE = "rifs:write"  # raise, share, and give the mandatory feedback
    RMWG_DECIDE = "rmwg:decide"  # vote for one's Party, adopt, publish, withdraw, validate
    COMMON_PROFILES_DRAFT = "common_profiles:draft"  # draft one and propose it to the RMWG
    COMMON_PROFILES_ACTIVATE = "common_profiles:activate"  # local activation (or why not)
    RISKS_WRITE = "risks:write"  # one's Party's register (the RMWG's for CEFTA-wide risks)
    JOINT_ACTIONS_WRITE = "joint_actions:write"  # plan, and report one's Party's results
    # Registries.
    REGISTRIES_READ = "registries:read"  # AEO and LPCO registries of one's Party
    AEO_MANAGE = "aeo:manage"  # authorisations and mutual recognition agreements
    LPCO_ISSUE = "lpco:issue"  # an issuing agency creates, suspends, revokes its LPCOs
    # The Action Plan tracker (S5): every signed-in user reads it.
    ACTIONPLAN_REPORT = "actionplan:report"  # report one's Party's progress, with evidence
    ACTIONPLAN_REVIEW = "actionplan:review"  # take the semi-annual review snapshot
    ASSESSMENTS_FILL = "assessments:fill"  # answer one's Party's S3/S4 assessments
    ASSESSMENTS_READ = "assessments:read"  # one's Party's results; all Parties' for RMWG/XS
    TRAINING_TAKE = "training:take"  # do exercises in the sandbox, join cohorts (instructors too)
    TRAINING_INSTRUCT = "training:instruct"  # run cohorts and see their trainees' results
    TRAINING_RECORDS = "training:records"  # record one's Party's officials' courses


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: frozenset(
        {
            Permission.DECLARATIONS_SUBMIT,
            Permission.DECLARATIONS_READ,
            Permission.DECISIONS_READ,
            Permission.INSPECTIONS_RECORD,
            Permission.INSPECTIONS_READ,
            Permission.CHECKLISTS_READ,
            Permission.FINDINGS_READ,
            Permission.RIFS_READ,
            Permission.REGISTRIES_READ,
            Permission.TRAINING_TAKE,
        }
    ),
    Role.ANALYST: frozenset(
        {
            Permission.DECLARATIONS_SUBMIT,
            Permission.DECLARATIONS_READ,
            Permission.AGGREGATES_READ,
            Permission.PROFILES_READ,
            Permission.PROFILES_WRITE,
            Permission.DECISIONS_READ,
            Permission.SELECTIVITY_MANAGE,
            Permission.INSPECTIONS_READ,
            Permission.CHECKLISTS_READ,
            Permission.EXCHANGE_READ,
            Permission.FINDINGS_READ,
            Permission.GOVERNANCE_READ,
            Permission.RIFS_READ,
            Permission.RIFS_WRITE,
            Permission.COMMON_PROFILES_DRAFT,
            Permission.COMMON_PROFILES_ACTIVATE,
            Permission.RISKS_WRITE,
            Permission.JOINT_ACTIONS_WRITE,
            Permission.REGISTRIES_READ,
            Permission.AEO_MANAGE,
            Permission.ACTIONPLAN_REPORT,
            Permission.ASSESSMENTS_READ,
            Permission.TRAINING_TAKE,
        }
    ),
    Role.PARTY_ADMIN: frozenset(
        {
            Permission.DECLARATIONS_SUBMIT,
            Permission.DECLARATIONS_READ,
            Permission.USERS_MANAGE,
            Permission.EXCHANGE_READ,
            Permission.ACTIONPLAN_REPORT,
            Permission.ASSESSMENTS_FILL,
            Permission.ASSESSMENTS_READ,
            Permission.TRAINING_TAKE,
            Permission.TRAINING_INSTRUCT,
            Permission.TRAINING_RECORDS,
        }
    ),
    # The RMWG reviews the profiles shared with it and decides on common ones;
    # analysts write them.
    Role.RMWG: frozenset(
        {
            Permission.AGGREGATES_READ,
            Permission.PROFILES_READ,
            Permission.CHECKLISTS_READ,
            Permission.GOVERNANCE_READ,
            Permission.RIFS_READ,
            Permission.RMWG_DECIDE,
            Permission.COMMON_PROFILES_DRAFT,
            Permission.RISKS_WRITE,
            Permission.ACTIONPLAN_REPORT,
            Permission.ASSESSMENTS_READ,
            Permission.TRAINING_TAKE,
            Permission.TRAINING_INSTRUCT,
        }
    ),
    # The Secretariat follows governance (adoption, register, joint actions) as
    # aggregates; it reads no RIF, which can name operators.
    Role.SECRETARIAT: frozenset(
        {
            Permission.AGGREGATES_READ,
            Permission.GOVERNANCE_READ,
            Permission.ACTIONPLAN_REPORT,
            Permission.ACTIONPLAN_REVIEW,
            Permission.ASSESSMENTS_READ,
        }
    ),
    # Other agencies see the decisions that notify them (never the declarations as such)
    # and record their own controls of those consignments.
    Role.AGENCY_OFFICER: frozenset(
        {
            Permission.DECISIONS_READ,
            Permission.INSPECTIONS_RECORD,
            Permission.INSPECTIONS_READ,
            Permission.CHECKLISTS_READ,
            Permission.REGISTRIES_READ,
            Permission.LPCO_ISSUE,
            Permission.TRAINING_TAKE,
        }
    ),
    Role.EU_PARTNER: frozenset({Permission.EXCHANGE_PULL}),
    Role.AUDITOR: frozenset({Permission.AUDIT_READ}),
}


def allows(role: Role, permission: Permission) -> bool:
    """Whether ``role`` holds ``permission``."""
    return permission in GRANTS[role]
