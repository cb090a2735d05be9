"""All of the daemon's settings in one place, read from the environment."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None


def _non_negative_env(name: str, default: int) -> int:
    value = _int_env(name, default)
    if value < 0:
        raise SystemExit(f"{name} must be 0 or more, got {value}")
    return value


def _positive_env(name: str, default: int) -> int:
    value = _int_env(name, default)
    if value < 1:
        raise SystemExit(f"{name} must be at least 1, got {value}")
    return value


def _switch_env(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("on", "1", "true", "yes"):
        return True
    if raw in ("off", "0", "false", "no"):
        return False
    raise SystemExit(f"{name} must be on or off, got {raw!r}")


def _choice_env(name: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (the first when unset)."""
    value = os.environ.get(name, "").strip().lower() or choices[0]
    if value not in choices:
        raise SystemExit(f"{name}={value!r} is not one of {', '.join(choices)}; set it to one of them or unset it.")
    return value


def _cidrs_env(name: str) -> tuple[str, ...]:
    """A comma- or space-separated list of networks (10.0.0.0/8, 192.168.1.10), each checked."""
    raw = os.environ.get(name, "").replace(",", " ").split()
    try:
        return tuple(str(ipaddress.ip_network(item, strict=False)) for item in raw)
    except ValueError as error:
        raise SystemExit(f"{name}: {error}. Give networks like 10.0.0.0/8 or addresses, separated by commas.") from None


def default_https_port(router_port: int) -> int:
    """443 beside a router on port 80 (a public host); 8443 otherwise."""
    return 443 if router_port == 80 else 8443


LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"


def default_router_workers() -> int:
    """Half the cores: nginx shares the host with the dynos, and one worker proxies thousands of requests a second."""
    return max(1, (os.cpu_count() or 2) // 2)


def default_home() -> Path:
    return Path(os.environ.get("SEAWAY_HOME") or Path.home() / ".seaway").expanduser().absolute()


def cluster_port(postgres_dir: Path) -> int | None:
    """The port the embedded PostgreSQL cluster in `postgres_dir` was created with (stored DATABASE_URLs
    name it), if there is one: an older default (54320) stays in use for it."""
    try:
        conf = (postgres_dir / "data" / "postgresql.conf").read_text(errors="replace")
    except OSError:
        return None
    ports = re.findall(r"^port = (\d+)$", conf, re.MULTILINE)
    return int(ports[-1]) if ports else None


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=default_home)
    api_host: str = "127.0.0.1"
    api_port: int = 5050
    router_host: str = "127.0.0.1"
    router_port: int = 8080
    router_https_port: int = 8443  # the HTTPS listener (0: none)
    trusted_proxies: tuple[str, ...] = ()  # networks whose X-Forwarded-For/Proto/Port the router keeps
    acme_directory: str = LETS_ENCRYPT  # the ACME CA certs:auto asks (LETS_ENCRYPT_STAGING to try things out)
    acme_email: str = ""  # the ACME account's contact (expiry warnings from the CA)
    acme_ca_bundle: str = ""  # CA certificates to trust for the ACME directory itself (a private or test CA)
    postgres_port: int = 15432  # outside Linux's ephemeral range; a cluster made earlier keeps its own
    boot_timeout: int = 60
    stop_timeout: int = 30
    web_concurrency: int = 2
    postgres_admin_url: str = ""  # an existing server to use instead of the embedded cluster
    schedule_interval: float = 30.0  # how often the backup scheduler looks for due backups
    settle_time: float = 2.0  # a non-web dyno of a new release must keep running this long to count as up
    router_keepalive: int = 75  # seconds the router keeps an idle client connection open; 0: none
    router_workers: int = field(default_factory=default_router_workers)  # nginx worker processes
    log_max_lines: int = 10_000  # each app's log keeps at most this many lines on disk...
    log_max_mb: int = 50  # ...and at most this many megabytes
    log_rate: int = 20_000  # lines per second a dyno may print into the log (beyond: dropped, reported)
    sandbox: bool = True  # as root, dynos and builds run in sandboxes (SEAWAY_SANDBOX=off: not isolated)
    dyno_network: str = "10.213.0.0/16"  # the addresses sandboxes get; its first one is the service address
    dyno_memory: int = 512  # MB: an app's memory quota per dyno unless `apps:settings memory=` says otherwise
    max_slug_mb: int = 2048  # an upload may unpack to at most this much...
    max_slug_files: int = 100_000  # ...and this many files
    release_watch: int = 30  # seconds a new release's web dynos are watched, the old ones standing by (0: none)
    python_downloads: str = "automatic"  # a Python no host interpreter matches: `uv python install` it, or "never"
    runtime: str = "local"  # where formations run: this host's sandboxed processes behind nginx (dynos/local_runtime.py)

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            home=default_home(),
            api_host=os.environ.get("SEAWAY_API_HOST", "127.0.0.1"),
            api_port=_int_env("SEAWAY_API_PORT", 5050),
            router_host=os.environ.get("SEAWAY_ROUTER_HOST", "127.0.0.1"),
            router_port=_int_env("SEAWAY_ROUTER_PORT", 8080),
            router_https_port=_non_negative_env("SEAWAY_ROUTER_HTTPS_PORT",
                                                default_https_port(_int_env("SEAWAY_ROUTER_PORT", 8080))),
            trusted_proxies=_cidrs_env("SEAWAY_TRUSTED_PROXIES"),
            acme_directory=os.environ.get("SEAWAY_ACME_DIRECTORY", "").strip() or LETS_ENCRYPT,
            acme_email=os.environ.get("SEAWAY_ACME_EMAIL", "").strip(),
            acme_ca_bundle=os.environ.get("SEAWAY_ACME_CA_BUNDLE", "").strip(),
            postgres_port=_int_env("SEAWAY_POSTGRES_PORT", cluster_port(cls(home=default_home()).postgres_dir) or 15432),
            boot_timeout=_int_env("SEAWAY_BOOT_TIMEOUT", 60),
            stop_timeout=_int_env("SEAWAY_STOP_TIMEOUT", 30),
            web_concurrency=_int_env("SEAWAY_WEB_CONCURRENCY", 2),
            settle_time=float(os.environ.get("SEAWAY_SETTLE_TIME", "2") or 2),
            postgres_admin_url=os.environ.get("SEAWAY_POSTGRES_ADMIN_URL", ""),
            schedule_interval=float(os.environ.get("SEAWAY_SCHEDULE_INTERVAL", "30") or 30),
            router_keepalive=_int_env("SEAWAY_ROUTER_KEEPALIVE", 75),
            router_workers=_positive_env("SEAWAY_ROUTER_WORKERS", default_router_workers()),
            log_max_lines=_positive_env("SEAWAY_LOG_MAX_LINES", 10_000),
            log_max_mb=_positive_env("SEAWAY_LOG_MAX_MB", 50),
            log_rate=_positive_env("SEAWAY_LOG_RATE", 20_000),
            sandbox=_switch_env("SEAWAY_SANDBOX", True),
            dyno_network=os.environ.get("SEAWAY_DYNO_NETWORK", "").strip() or "10.213.0.0/16",
            dyno_memory=_positive_env("SEAWAY_DYNO_MEMORY", 512),
            max_slug_mb=_positive_env("SEAWAY_MAX_SLUG_MB", 2048),
            max_slug_files=_positive_env("SEAWAY_MAX_SLUG_FILES", 100_000),
            release_watch=_non_negative_env("SEAWAY_RELEASE_WATCH", 30),
            python_downloads=_choice_env("SEAWAY_PYTHON_DOWNLOADS", ("automatic", "never")),
            runtime=_choice_env("SEAWAY_RUNTIME", ("local",)),
        )

    # Folders the platform owns; nothing is written outside them.
    @property
    def database_path(self) -> Path:
        return self.home / "seaway.db"

    @property
    def credentials_path(self) -> Path:
        return self.home / "credentials"

    @property
    def slugs_dir(self) -> Path:
        return self.home / "slugs"

    @property
    def pythons_dir(self) -> Path:  # interpreters uv installed for builds (and any put there by hand)
        return self.home / "pythons"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def builds_dir(self) -> Path:
        return self.home / "builds"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def router_dir(self) -> Path:
        return self.home / "router"

    @property
    def postgres_dir(self) -> Path:
        return self.home / "postgres"

    @property
    def backups_dir(self) -> Path:
        return self.home / "backups"

    @property
    def tls_dir(self) -> Path:  # the local CA, certificates and their keys (0700, keys 0600)
        return self.home / "tls"

    @property
    def git_dir(self) -> Path:  # each app's git repository (APP.git), and the hooks they all run
        return self.home / "git"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def sandbox_dir(self) -> Path:
        return self.run_dir / "sandbox"

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"
