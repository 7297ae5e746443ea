"""``helpers.sql``: SQL builders (filled in by the helpers.sql issue)."""
