"""certs:auto's schedule: when a certificate is due, and how long a failed order waits."""

from __future__ import annotations

import datetime

from seaway.certs.auto import FIRST_RETRY, LAST_RETRY, due, retry_delay
from seaway.store.models import Certificate

NOW = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.timezone.utc)


def certificate(expires_in: datetime.timedelta) -> Certificate:
    return Certificate(kind="auto", names=["www.example.test"], not_before=NOW - datetime.timedelta(days=60),
                       not_after=(NOW + expires_in).replace(tzinfo=None), fingerprint="x")  # as SQLite gives it back


def test_a_missing_or_expiring_certificate_is_due():
    assert due(None, NOW)
    assert due(certificate(datetime.timedelta(days=29, hours=23)), NOW)
    assert not due(certificate(datetime.timedelta(days=30, minutes=1)), NOW)


def test_failures_back_off_doubling_up_to_six_hours():
    assert retry_delay(1) == FIRST_RETRY and retry_delay(2) == 2 * FIRST_RETRY and retry_delay(3) == 4 * FIRST_RETRY
    assert retry_delay(30) == LAST_RETRY == datetime.timedelta(hours=6)
