"""Read models kept up to date from the global event log (lists, dashboard, journal, register)."""
