"""Governance: RIFs, common risk profiles agreed by the Parties, risk register, joint actions."""
