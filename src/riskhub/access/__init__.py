"""Who is asking: Parties as tenants, and (for now) how an API caller proves which Party it is."""
