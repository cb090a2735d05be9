"""Dashboard sign-ins: a session per browser, opened with an API token and named by a random cookie.

The session lives in the daemon's memory only (a restart signs everyone out). The token it was opened
with is checked again on every request, so a token that is no longer valid ends its sessions. Each
session has its own CSRF token, which every form carries back."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

COOKIE = "seaway_session"
IDLE = 12 * 3600  # seconds a session lasts without a request
MAX_SESSIONS = 1000  # the oldest sessions go beyond this many


@dataclass
class Session:
    id: str
    token: str
    csrf: str
    last_seen: float
    notices: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) to show on the next page

    def notify(self, kind: str, text: str) -> None:
        """Show `text` on the next page rendered (kind: ok or error)."""
        self.notices.append((kind, text))

    def take_notices(self) -> list[tuple[str, str]]:
        notices, self.notices = self.notices, []
        return notices

    def carries(self, csrf: str | None) -> bool:
        """Whether a form sent this session's CSRF token."""
        return csrf is not None and hmac.compare_digest(csrf.encode(), self.csrf.encode())


class Sessions:
    def __init__(self, valid_token: Callable[[str], bool], clock: Callable[[], float] = time.monotonic) -> None:
        self.valid_token, self.clock = valid_token, clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, token: str) -> Session | None:
        """A new session for `token`, or None if it is not a valid API token."""
        if not token or not self.valid_token(token):
            return None
        session = Session(secrets.token_urlsafe(32), token, secrets.token_urlsafe(32), self.clock())
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                oldest = min(self._sessions.values(), key=lambda s: s.last_seen)
                del self._sessions[oldest.id]
            self._sessions[session.id] = session
        return session

    def find(self, cookie: str | None) -> Session | None:
        """The live session the cookie names (None: signed out, expired, or its token is gone)."""
        if not cookie:
            return None
        with self._lock:
            session = self._sessions.get(cookie)
            if session is None:
                return None
            if self.clock() - session.last_seen > IDLE or not self.valid_token(session.token):
                del self._sessions[cookie]
                return None
            session.last_seen = self.clock()
            return session

    def close(self, cookie: str | None) -> None:
        with self._lock:
            self._sessions.pop(cookie or "", None)
