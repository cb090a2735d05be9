"""Seaway e2e sample: a tiny plain-WSGI app, no framework.

GET /         -> "basic VERSION=1" (+ " GREETING=..." when that config var is set)
GET /headers  -> the request's X-* headers and Host, as JSON
GET /env      -> the dyno's PORT, DYNO, WEB_CONCURRENCY, PYTHONUNBUFFERED, HOME, as JSON
"""
import json
import os

VERSION = "1"


def _respond(start_response, body, content_type="text/plain; charset=utf-8"):
    data = body.encode("utf-8")
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/headers":
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items()
                   if k.startswith("HTTP_X_") or k == "HTTP_HOST"}
        return _respond(start_response, json.dumps(headers), "application/json")
    if path == "/env":
        keys = ("PORT", "DYNO", "WEB_CONCURRENCY", "PYTHONUNBUFFERED", "HOME", "PATH")
        return _respond(start_response, json.dumps({k: os.environ.get(k) for k in keys}), "application/json")
    body = "basic VERSION=" + VERSION
    greeting = os.environ.get("GREETING")
    if greeting:
        body += " GREETING=" + greeting
    return _respond(start_response, body + "\n")
