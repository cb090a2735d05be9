"""Seaway e2e sample: an app that writes into its own folder, as Heroku apps do (the dyno's filesystem
is writable and ephemeral).

At import it creates logs/ (as many apps do). GET /write?name=N writes uploads/N, GET /read?name=N
reads it back (404 if this dyno has no such file), GET /overwrite rewrites the shipped file
shipped.txt, GET /shipped shows it. Every answer names the dyno.
"""
import os
from urllib.parse import parse_qs

os.makedirs("logs", exist_ok=True)
with open("logs/boot.log", "a") as log:
    log.write(f"{os.environ.get('DYNO')} booted\n")


def _respond(start_response, status, body):
    data = f"{body} on {os.environ.get('DYNO')}\n".encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    name = parse_qs(environ.get("QUERY_STRING", "")).get("name", ["file"])[0].replace("/", "_")
    if path == "/write":
        os.makedirs("uploads", exist_ok=True)
        with open(f"uploads/{name}", "w") as f:
            f.write(f"written by {os.environ.get('DYNO')}")
        return _respond(start_response, "200 OK", f"wrote {name}")
    if path == "/read":
        if not os.path.exists(f"uploads/{name}"):
            return _respond(start_response, "404 Not Found", f"no {name}")
        with open(f"uploads/{name}") as f:
            return _respond(start_response, "200 OK", f.read())
    if path == "/overwrite":
        with open("shipped.txt", "w") as f:
            f.write(f"overwritten by {os.environ.get('DYNO')}")
        return _respond(start_response, "200 OK", "overwrote shipped.txt")
    if path == "/shipped":
        with open("shipped.txt") as f:
            return _respond(start_response, "200 OK", f.read().strip())
    return _respond(start_response, "200 OK", f"writable logs={os.path.isdir('logs')}")
