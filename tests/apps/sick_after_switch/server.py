"""Seaway sample: a bare HTTP server whose /health answers 500 once SICK_AFTER seconds have passed
(it passes its start-up check, then fails the checks the release watch runs)."""
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = time.monotonic()
SICK_AFTER = float(os.environ.get("SICK_AFTER", "inf"))


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        sick = self.path == "/health" and time.monotonic() - STARTED > SICK_AFTER
        body = b"sick\n" if sick else f"sick_after_switch {os.environ.get('GREETING', 'first')}\n".encode()
        self.send_response(500 if sick else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Hello).serve_forever()
