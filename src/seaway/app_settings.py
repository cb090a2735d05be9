"""Per-app settings (`apps:settings`): each one's limits, its default and the value in effect, in one place.

An app stores only what it changed (None: the default); `effective` says what applies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from seaway.errors import Invalid

if TYPE_CHECKING:
    from seaway.settings import Settings
    from seaway.store.models import App

RELEASE_TIMEOUT = 3600  # seconds a release command may run
ROUTER_TIMEOUT = 30  # seconds to the first byte before the router gives up (H12)
MAX_BODY_MB = 100  # the largest request body the router takes (0: no limit)


@dataclass(frozen=True)
class Setting:
    name: str
    low: int
    high: int
    unit: str
    default: Callable[[Settings], int]
    routing: bool = False  # a change takes a new route (nginx's configuration)
    new_dynos: bool = False  # a change takes new dynos (as Heroku's ps:resize)


SETTINGS = {setting.name: setting for setting in (
    Setting("boot_timeout", 1, 3600, "seconds", lambda s: s.boot_timeout),
    Setting("stop_timeout", 1, 3600, "seconds", lambda s: s.stop_timeout),
    Setting("release_timeout", 1, 86400, "seconds", lambda _s: RELEASE_TIMEOUT),
    Setting("router_timeout", 1, 3600, "seconds", lambda _s: ROUTER_TIMEOUT, routing=True),
    Setting("max_body_size", 0, 10240, "MB (0: no limit)", lambda _s: MAX_BODY_MB, routing=True),
    Setting("memory", 64, 14336, "MB per dyno", lambda s: s.dyno_memory, new_dynos=True),
    Setting("release_watch", 0, 3600, "seconds (0: no watch)", lambda s: s.release_watch),
    Setting("force_https", 0, 1, "(1 or true: redirect HTTP to HTTPS; 0 or false: serve both)", lambda _s: 0,
            routing=True),
    Setting("hsts", 0, 63072000, "seconds of Strict-Transport-Security on HTTPS answers (0: none)", lambda _s: 0,
            routing=True),
)}


@dataclass(frozen=True)
class AppSettings:
    """The values in effect for one app."""

    boot_timeout: int
    stop_timeout: int
    release_timeout: int
    router_timeout: int
    max_body_size: int
    memory: int
    release_watch: int
    force_https: bool
    hsts: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def effective(app: App, settings: Settings) -> AppSettings:
    values = {}
    for name, setting in SETTINGS.items():
        stored = getattr(app, name)
        values[name] = setting.default(settings) if stored is None else stored
    return AppSettings(**{**values, "force_https": bool(values["force_https"])})


def check_changes(values: dict[str, int | None]) -> None:
    """Refuse unknown settings and values out of range (None: back to the default)."""
    for key, value in values.items():
        setting = SETTINGS.get(key)
        if setting is None:
            raise Invalid(f"Unknown setting {key!r}. Settings: {', '.join(SETTINGS)}.")
        if value is not None and not setting.low <= value <= setting.high:
            raise Invalid(f"{key} must be from {setting.low} to {setting.high} {setting.unit}, got {value}.")


def changes_routing(values: dict[str, Any]) -> bool:
    return any(SETTINGS[key].routing for key in values)


def changes_dynos(values: dict[str, Any]) -> bool:
    return any(SETTINGS[key].new_dynos for key in values)
