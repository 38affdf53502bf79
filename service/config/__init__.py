"""Dynamic configuration an admin changes at run time (kill switch, limits, models, routes)."""
