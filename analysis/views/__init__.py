"""Pages of the analysis app, one module per page family (deal, runs, lists, exports…)."""
