"""Synthetic CEFTA traffic with planted, labelled non-compliance, for demos, tests, benchmarks."""
