"""The Parties that own data in riskhub: the CEFTA administrations and EU partners.

Each Party is a tenant. The CEFTA Parties are named in the Strategy; EU Member
States take part as partners (SEED+ exchange, joint actions). "ZZ" is the
sandbox tenant that holds benchmark and training data (the public KCS set),
so that nothing from it is ever mistaken for a real administration's traffic;
"XS" is the CEFTA Secretariat, which sees aggregates and owns no declarations.
"""

from __future__ import annotations

CEFTA_PARTIES: dict[str, str] = {
    "AL": "Albania",
    "BA": "Bosnia and Herzegovina",
    "MD": "Moldova",
    "ME": "Montenegro",
    "MK": "North Macedonia",
    "RS": "Serbia",
    "XK": "Kosovo*",
}

EU_MEMBER_STATES: dict[str, str] = {
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "CY": "Cyprus",
    "CZ": "Czechia",
    "DE": "Germany",
    "DK": "Denmark",
    "EE": "Estonia",
    "ES": "Spain",
    "FI": "Finland",
    "FR": "France",
    "GR": "Greece",
    "HR": "Croatia",
    "HU": "Hungary",
    "IE": "Ireland",
    "IT": "Italy",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "MT": "Malta",
    "NL": "Netherlands",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SE": "Sweden",
    "SI": "Slovenia",
    "SK": "Slovakia",
}

SANDBOX_PARTY = "ZZ"
SECRETARIAT_PARTY = "XS"  # the CEFTA Secretariat: sees aggregates, owns no declarations

PARTY_KINDS: dict[str, str] = {
    **{code: "cefta" for code in CEFTA_PARTIES},
    **{code: "eu_partner" for code in EU_MEMBER_STATES},
    SECRETARIAT_PARTY: "secretariat",
    SANDBOX_PARTY: "sandbox",
}

PARTY_CODES: frozenset[str] = frozenset(PARTY_KINDS)
# Who can own declarations: every Party but the Secretariat.
DECLARATION_OWNERS: frozenset[str] = PARTY_CODES - {SECRETARIAT_PARTY}
# Whose traffic is real: cross-Party numbers never count the sandbox's training data.
LIVE_OWNERS: frozenset[str] = DECLARATION_OWNERS - {SANDBOX_PARTY}


def party_name(code: str) -> str:
    """The display name of a Party code."""
    if code == SANDBOX_PARTY:
        return "Sandbox (benchmark and training data)"
    if code == SECRETARIAT_PARTY:
        return "CEFTA Secretariat"
    return CEFTA_PARTIES.get(code) or EU_MEMBER_STATES.get(code) or code
