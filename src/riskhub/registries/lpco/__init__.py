"""LPCO registry: licences, permits, certificates; checks and atomic drawdown."""
