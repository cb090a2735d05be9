"""Seaway sample: an app in a subfolder of its repository (PROJECT_PATH=backend)."""
from pathlib import Path


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    siblings = sorted(p.name for p in Path(__file__).parent.iterdir() if not p.name.startswith((".", "__")))
    return [f"backend here; the slug holds {', '.join(siblings)}\n".encode()]
