"""Seaway e2e sample: never deploys, because requirements.txt cannot be installed."""


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"this build should have failed\n"]
