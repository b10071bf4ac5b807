"""The Strategy's Action Plan: activities as seed data, and the KPIs riskhub can measure itself."""
