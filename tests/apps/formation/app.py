"""Seaway e2e sample with several process types.

GET /        -> "formation DYNO=web.N GREETING=..." (which dyno answered, and a config var)
GET /health  -> status from the HEALTH_STATUS config var (default 200), for app.json health checks
GET /slow    -> sleeps SLOW_SECONDS (default 2) before answering, for in-flight request tests
Any body is read to its end first: a sync worker that closes with unread bytes resets the connection, and the
router then sees an error instead of the answer while it is still sending a large body.
"""
import os
import time


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    environ["wsgi.input"].read()
    status = "200 OK"
    if path == "/health":
        code = os.environ.get("HEALTH_STATUS", "200")
        status = f"{code} {'OK' if code.startswith('2') else 'Unhealthy'}"
        body = f"health {code}\n"
    elif path == "/slow":
        time.sleep(float(os.environ.get("SLOW_SECONDS", "2")))
        body = f"slow done by {os.environ.get('DYNO')}\n"
    else:
        body = f"formation DYNO={os.environ.get('DYNO')} GREETING={os.environ.get('GREETING', '')}\n"
    data = body.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]
