"""Risk criteria: read from YAML/JSON into a typed tree, validated, compiled by backends."""
