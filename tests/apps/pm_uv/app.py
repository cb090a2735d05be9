"""Seaway sample: an app whose dependencies a lock file pins (pm_uv): it reports what is installed."""
from importlib import metadata


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    installed = sorted(d.metadata["Name"].lower() for d in metadata.distributions())
    return [f"six {metadata.version('six')}; installed: {' '.join(installed)}\n".encode()]
