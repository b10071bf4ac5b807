"""The pages, in the order of the navigation bar, and the permission each needs.

One table, so that the navigation and the home page list exactly the pages a
role may open; each page checks the same permission itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from riskhub.access.roles import Permission, Role, allows


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    permission: Permission | None  # None: every signed-in user
    about: str


PAGES: tuple[Page, ...] = (
    Page("Work queue", "/queue", Permission.INSPECTIONS_RECORD,
         "the consignments selected for control at your office, and their inspection"),
    Page("KPIs", "/kpis", Permission.AGGREGATES_READ,
         "inspections, detections and release times over time, with intervals"),
    Page("Profiles", "/profiles", Permission.PROFILES_READ,
         "risk profiles with their effectiveness; edit and backtest before activation"),
    Page("Models", "/models", Permission.PROFILES_WRITE,
         "the risk models at work: metrics, drift, challengers to approve"),
    Page("RIFs", "/governance/rifs", Permission.RIFS_READ,
         "Risk Information Forms raised by or shared with your Party"),
    Page("Common profiles", "/governance/common-profiles", Permission.GOVERNANCE_READ,
         "common risk profiles proposed to the RMWG: votes, adoption, local activation"),
    Page("Risk register", "/governance/risks", Permission.GOVERNANCE_READ,
         "risks and emerging threats on a likelihood × impact heat map"),
    Page("Joint actions", "/governance/joint-actions", Permission.GOVERNANCE_READ,
         "joint control actions of the Parties and their results"),
    Page("Registries", "/registries", Permission.REGISTRIES_READ,
         "AEO authorisations and recognitions, LPCO certificates"),
    Page("Exchange", "/exchange", Permission.EXCHANGE_READ,
         "messages in and out with partner hubs, failures, matching findings"),
    Page("Assessments", "/assessments", Permission.ASSESSMENTS_READ,
         "risk management gap (S3) and staffing (S4) assessments: answers, scores, gaps"),
    Page("Training", "/training", Permission.TRAINING_TAKE,
         "the training sandbox: exercises scored against planted truth, cohorts, records"),
    Page("Audit log", "/audit", Permission.AUDIT_READ,
         "who did what, signed and chained"),
    Page("Action Plan", "/action-plan", None,
         "the Strategy's 30 activities: timeline, status per Party, KPIs measured live"),
)  # fmt: skip


def for_role(role: Role) -> list[Page]:
    """The pages ``role`` may open."""
    return [p for p in PAGES if p.permission is None or allows(role, p.permission)]
