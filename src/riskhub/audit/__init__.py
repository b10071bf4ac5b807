"""The tamper-evident audit log: records hash-chained per Party, signed checkpoints, checks."""
