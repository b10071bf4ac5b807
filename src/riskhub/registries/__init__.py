"""Registries the decisions consult: Authorised Economic Operators (AEO), later LPCOs."""
