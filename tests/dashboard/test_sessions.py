"""Dashboard sessions: opened only with a valid token, ended by idleness, sign-out or the token's end."""

from __future__ import annotations

from seaway.dashboard.sessions import IDLE, MAX_SESSIONS, Sessions


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_only_a_valid_token_opens_a_session_and_each_has_its_own_ids() -> None:
    sessions = Sessions(lambda token: token == "good")
    assert sessions.open("bad") is None and sessions.open("") is None
    one, two = sessions.open("good"), sessions.open("good")
    assert one is not None and two is not None
    assert len({one.id, two.id, one.csrf, two.csrf}) == 4 and len(one.id) >= 40
    assert sessions.find(one.id) is one and sessions.find("guess") is None and sessions.find(None) is None


def test_a_session_ends_when_idle_signed_out_or_its_token_is_gone() -> None:
    clock, valid = Clock(), {"good"}
    sessions = Sessions(lambda token: token in valid, clock)
    idle, signed_out, revoked = (sessions.open("good") for _ in range(3))
    assert idle and signed_out and revoked
    clock.now += IDLE - 1
    assert sessions.find(signed_out.id) and sessions.find(revoked.id)  # a request keeps a session alive
    clock.now += 2
    assert sessions.find(idle.id) is None
    sessions.close(signed_out.id)
    assert sessions.find(signed_out.id) is None
    valid.clear()
    assert sessions.find(revoked.id) is None


def test_a_form_must_carry_the_sessions_own_csrf_token() -> None:
    session = Sessions(lambda _token: True).open("t")
    assert session is not None
    assert session.carries(session.csrf)
    assert not session.carries(None) and not session.carries("") and not session.carries(session.id)


def test_notices_are_shown_once() -> None:
    session = Sessions(lambda _token: True).open("t")
    assert session is not None
    session.notify("ok", "Done.")
    assert session.take_notices() == [("ok", "Done.")] and session.take_notices() == []


def test_sessions_are_bounded() -> None:
    clock = Clock()
    sessions = Sessions(lambda _token: True, clock)
    first = sessions.open("t")
    assert first is not None
    for _ in range(MAX_SESSIONS):
        clock.now += 1
        sessions.open("t")
    assert sessions.find(first.id) is None
