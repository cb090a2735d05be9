"""Seaway e2e sample: a tiny plain-WSGI app, no framework."""
import os

VERSION = "1"


def app(environ, start_response):
    body = "basic VERSION=" + VERSION
    greeting = os.environ.get("GREETING")
    if greeting:
        body += " GREETING=" + greeting
    data = (body + "\n").encode("utf-8")
    start_response(
        "200 OK",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]
