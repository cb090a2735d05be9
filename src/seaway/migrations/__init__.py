"""migrations/: which migration framework a slug uses, and what its database has applied."""
