"""Seaway sample: a bare HTTP server that binds $PORT and, when DIE_AFTER is set, exits that many
seconds later (a crash after boot, with no framework involved)."""
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"dies_after_bind {os.environ.get('GREETING', 'first')}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def die() -> None:
    print("dying now, as DIE_AFTER asked", flush=True)
    os._exit(4)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Hello)
    if os.environ.get("DIE_AFTER"):
        threading.Timer(float(os.environ["DIE_AFTER"]), die).start()
    print("listening", flush=True, file=sys.stdout)
    server.serve_forever()
