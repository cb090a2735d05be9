"""Seaway sample: a gunicorn app whose worker fails to import when CRASH_ON_IMPORT is set. gunicorn's
master binds $PORT first, so the new release looks up, then the master exits ("Worker failed to boot"):
the release watch must switch back to the previous release."""
import os
import time

if os.environ.get("CRASH_ON_IMPORT"):
    time.sleep(1.5)  # a slow import, as real apps' are: the master is long bound by then
    raise RuntimeError("crash on import, as asked by CRASH_ON_IMPORT")

RELEASE = os.environ.get("GREETING", "first")


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"watch_crash {RELEASE}\n".encode()]
