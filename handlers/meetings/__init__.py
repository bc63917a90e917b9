"""三会一课: meeting records with quorum, leave, attendance calls before a meeting, cadence per branch and
the two-month absence flag (DOMAIN.md §1)."""
