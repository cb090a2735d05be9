"""When scheduled backups are due, whether one was missed, and which ones retention keeps. Pure time logic."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

AT = re.compile(r"^(\d{1,2}):(\d{2})(?:\s+(\S+))?$")
LATE = timedelta(minutes=10)  # a backup this late counts as missed (the platform was down or busy)
GRACE = timedelta(minutes=2)  # a schedule set during (or just after) its own minute runs at once
KEEP_DAILY, KEEP_WEEKLY = 7, 4


def parse_at(text: str) -> tuple[str, str]:
    """'02:00 Europe/Paris' -> ('02:00', 'Europe/Paris'); the zone defaults to UTC."""
    match = AT.match(text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"--at {text!r} is not HH:MM [TIMEZONE], e.g. --at '02:00 Europe/Paris'.")
    zone = match[3] or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {zone!r}; use a name like UTC or America/New_York.") from None
    return f"{int(match[1]):02d}:{match[2]}", zone


def last_due(at: str, zone: str, now: datetime) -> datetime:
    """The most recent moment, at or before `now`, when the schedule was due (in UTC): once per local day.

    Compared as instants, never as wall times: a time a DST change skips (02:30 on the spring night)
    is due once, at the instant it maps to (fold 0: just after the gap); one it repeats (02:30 on the
    autumn night) only at its first occurrence."""
    hour, minute = (int(x) for x in at.split(":"))
    tz = ZoneInfo(zone)
    instant = now.astimezone(timezone.utc)
    today = instant.astimezone(tz).date()
    for days_back in range(3):
        due = datetime.combine(today - timedelta(days=days_back), time(hour, minute), tzinfo=tz).astimezone(timezone.utc)
        if due <= instant:
            return due
    raise AssertionError("a local day is never longer than 48 hours")


def due_action(at: str, zone: str, scheduled_since: datetime, last_taken: datetime | None,
               now: datetime) -> tuple[str, datetime] | None:
    """("run" or "missed", due time) when a scheduled backup is owed now, else None."""
    due = last_due(at, zone, now)
    if due < scheduled_since - GRACE or (last_taken is not None and last_taken >= due):
        return None
    return ("missed" if now - due > LATE else "run"), due


def to_prune(taken: list[tuple[str, datetime]]) -> list[str]:
    """Names of scheduled backups retention drops: it keeps the newest 7, and the newest of each of
    the last 4 weeks."""
    newest_first = sorted(taken, key=lambda item: item[1], reverse=True)
    keep = {name for name, _ in newest_first[:KEEP_DAILY]}
    weeks: dict[tuple[int, int], str] = {}
    for name, when in newest_first:
        week = when.isocalendar()[:2]
        if week not in weeks and len(weeks) < KEEP_WEEKLY:
            weeks[week] = name
    keep |= set(weeks.values())
    return [name for name, _ in newest_first if name not in keep]
