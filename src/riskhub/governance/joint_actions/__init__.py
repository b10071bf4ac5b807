"""Joint enforcement actions: planned, validated by the RMWG, results, summary."""
