"""The platform's own state, as SQLAlchemy 2 models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class App(Base):
    __tablename__ = "apps"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    current_release: Mapped[int | None] = mapped_column(Integer, nullable=True)
    boot_timeout: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the daemon's default
    stop_timeout: Mapped[int | None] = mapped_column(Integer, nullable=True)
    release_timeout: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: one hour
    router_timeout: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: 30 s to the first byte
    max_body_size: Mapped[int | None] = mapped_column(Integer, nullable=True)  # MB; None: 100, 0: no limit
    memory: Mapped[int | None] = mapped_column(Integer, nullable=True)  # MB per dyno; None: the daemon's default (512)
    release_watch: Mapped[int | None] = mapped_column(Integer, nullable=True)  # seconds; None: the daemon's, 0: none
    force_https: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1: HTTP is redirected to HTTPS
    hsts: Mapped[int | None] = mapped_column(Integer, nullable=True)  # Strict-Transport-Security max-age; None/0: none
    acm: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1: certificates from the ACME CA (certs:auto)


class Slug(Base):
    """An immutable build product, addressed by the digest of its content."""

    __tablename__ = "slugs"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    python_version: Mapped[str] = mapped_column(String(20))
    process_types: Mapped[dict[str, str]] = mapped_column(JSON)
    deps_key: Mapped[str] = mapped_column(String(64))
    app_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what the platform uses of app.json
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Build(Base):
    __tablename__ = "builds"
    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    slug_digest: Mapped[str | None] = mapped_column(ForeignKey("slugs.digest"), nullable=True)
    output: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


@dataclass(frozen=True)
class Commit:
    """The git commit a release's code came from."""

    sha: str
    subject: str = ""
    dirty: bool = False  # the work tree had changes on top of it (deployed with --include-uncommitted)

    @property
    def label(self) -> str:
        return f"{self.sha[:7]} with uncommitted changes" if self.dirty else self.sha[:7]


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("app_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    slug_digest: Mapped[str | None] = mapped_column(ForeignKey("slugs.digest"), nullable=True)
    config: Mapped[dict[str, str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    output: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(200), default="admin")
    rollback_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    commit: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the git commit of its code, if known
    commit_subject: Mapped[str] = mapped_column(String(200), default="")
    promoted_from: Mapped[str | None] = mapped_column(String(30), nullable=True)  # the app a promotion came from
    promoted_version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # and its release's version
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConfigVar(Base):
    __tablename__ = "config_vars"
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class FormationEntry(Base):
    __tablename__ = "formation"
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    process_type: Mapped[str] = mapped_column(String(60), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)


class Addon(Base):
    __tablename__ = "addons"
    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    service: Mapped[str] = mapped_column(String(40))
    config_var: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Backup(Base):
    """A pg_dump of an app's database: b001, b002... per app."""

    __tablename__ = "backups"
    __table_args__ = (UniqueConstraint("app_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    addon: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # manual / scheduled / safety / final
    status: Mapped[str] = mapped_column(String(20), default="running")  # running / completed / failed
    verification: Mapped[str | None] = mapped_column(String(20), nullable=True)  # verified / failed
    reason: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    location: Mapped[str] = mapped_column(String(500), default="")
    tables: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # row counts at the snapshot
    sha256: Mapped[str] = mapped_column(String(64), default="")  # of the stored file, at capture ("" before 0009)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)

    @property
    def name(self) -> str:
        return f"b{self.number:03d}"


class BackupSchedule(Base):
    __tablename__ = "backup_schedules"
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    addon: Mapped[str] = mapped_column(String(100))
    at: Mapped[str] = mapped_column(String(5))  # HH:MM
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Drain(Base):
    """Where an app's log lines are also sent (syslog over TCP or TLS, or HTTPS)."""

    __tablename__ = "drains"
    __table_args__ = (UniqueConstraint("app_id", "url"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    token: Mapped[str] = mapped_column(String(64))  # identifies the drain to its receiver, like Heroku's d.UUID
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Domain(Base):
    """A custom hostname routed to an app (besides APP.localhost)."""

    __tablename__ = "domains"
    hostname: Mapped[str] = mapped_column(String(253), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # ACME (certs:auto): how the last order for this domain went, and when to try again after a failure
    acme_status: Mapped[str | None] = mapped_column(String(20), nullable=True)  # issued / failing / None: not yet
    acme_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    acme_failures: Mapped[int] = mapped_column(Integer, default=0)
    acme_retry_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Certificate(Base):
    """A certificate the router serves for some of an app's domains: added by the user (own) or issued by
    the ACME CA (auto). Its chain and key are files under SEAWAY_HOME/tls/apps/<app id>/ (keys 0600)."""

    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # own / auto
    names: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    issuer: Mapped[str] = mapped_column(Text, default="")
    not_before: Mapped[datetime] = mapped_column()
    not_after: Mapped[datetime] = mapped_column()
    fingerprint: Mapped[str] = mapped_column(String(64))
    staple: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def name(self) -> str:
        return f"cert-{self.id}"


class Pipeline(Base):
    """Apps of one code base in stages (development, staging, production): promotion moves a slug downstream."""

    __tablename__ = "pipelines"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PipelineCoupling(Base):
    """An app's place in a pipeline: one pipeline and one stage per app."""

    __tablename__ = "pipeline_couplings"
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppSetup(Base):
    """How an app was set up from its app.json, and whether its postdeploy script has run (it runs once)."""

    __tablename__ = "app_setups"
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    postdeploy: Mapped[str] = mapped_column(Text, default="")  # the command; "" for none
    postdeploy_status: Mapped[str] = mapped_column(String(20), default="none")  # none / pending / succeeded / failed
    postdeploy_release: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the release it ran after
    postdeploy_exit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RouterMetric(Base):
    """One app's router metrics for one minute (see seaway/metrics/): kept 24 hours."""

    __tablename__ = "router_metrics"
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)  # Unix minute: seconds since the epoch // 60
    requests: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # by status class: {"2xx": 120, "5xx": 1}
    errors: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # by H code: {"H12": 1}
    service: Mapped[list[list[int]]] = mapped_column(JSON, default=list)  # service times: [[histogram bucket, requests]]
    p50: Mapped[float | None] = mapped_column(nullable=True)  # ms, from `service`
    p95: Mapped[float | None] = mapped_column(nullable=True)
    p99: Mapped[float | None] = mapped_column(nullable=True)


class DynoMetric(Base):
    """One dyno's memory and CPU for one minute, averaged over its samples: kept 24 hours."""

    __tablename__ = "dyno_metrics"
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)  # Unix minute
    dyno: Mapped[str] = mapped_column(String(70), primary_key=True)  # web.1
    memory_mb: Mapped[float | None] = mapped_column(nullable=True)
    cpu_percent: Mapped[float | None] = mapped_column(nullable=True)  # of one core
