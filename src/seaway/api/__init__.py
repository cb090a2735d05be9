"""api/: the HTTP API (FastAPI) the CLI and dashboard talk to."""
