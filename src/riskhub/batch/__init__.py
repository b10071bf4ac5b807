"""Bulk selectivity and backtests over Parquet, in this process or on Apache Spark."""
