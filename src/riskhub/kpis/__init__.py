"""Key performance indicators of risk management."""
