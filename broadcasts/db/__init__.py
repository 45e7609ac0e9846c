"""Storage: the engine and sessions, the tables, and migrations to the newest schema."""
