"""Real log receivers for drain tests: a syslog server (TCP or TLS, RFC 6587 octet counting) and an HTTP one."""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RFC5424 = re.compile(r"^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$", re.S)


def parse_frames(data: bytes) -> tuple[list[str], bytes]:
    """Complete octet-counted messages in `data`, and what is left of an incomplete one."""
    messages = []
    while b" " in data:
        length, _, rest = data.partition(b" ")
        if not length.isdigit() or len(rest) < int(length):
            break
        messages.append(rest[:int(length)].decode("utf-8"))
        data = rest[int(length):]
    return messages, data


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1 (its own CA), and its key."""
    cert, key = folder / "drain.crt", folder / "drain.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class SyslogReceiver:
    """Accepts TCP (or TLS) connections and keeps every message it gets."""

    def __init__(self, port: int = 0, tls: tuple[Path, Path] | None = None) -> None:
        self.messages: list[str] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._context = None
        if tls:
            self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._context.load_cert_chain(*tls)
        self.server = socket.create_server(("127.0.0.1", port))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            if self._context:
                try:
                    conn = self._context.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    continue
            self.connections += 1
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        pending = b""
        with conn:
            while chunk := conn.recv(65536):
                messages, pending = parse_frames(pending + chunk)
                with self._lock:
                    self.messages.extend(messages)

    def containing(self, text: str) -> list[str]:
        with self._lock:
            return [m for m in self.messages if text in m]

    def close(self) -> None:
        self.server.shutdown(socket.SHUT_RDWR)  # wakes the accept() in progress: only then is the port free
        self.server.close()


class HttpReceiver:
    """Takes Heroku-style HTTPS drain POSTs (application/logplex-1) over plain HTTP."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.requests: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                messages, rest = parse_frames(body)
                receiver.requests.append(dict(self.headers))
                receiver.messages.extend(messages)
                self.send_response(200 if not rest else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def containing(self, text: str) -> list[str]:
        return [m for m in list(self.messages) if text in m]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
