"""addons/: services attached to apps (PostgreSQL for now)."""
