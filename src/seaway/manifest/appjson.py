"""app.json, Heroku's app manifest, read into a Manifest: the config vars an app needs (given, generated or
required), its add-ons, its formation, its postdeploy script and (Dokku's) its web health checks.

Everything a manifest can be wrong in is said here, naming the key (or the line, for invalid JSON); what
Seaway ignores (buildpacks, stack, review-app scripts, unknown keys) comes back as warnings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from seaway.addons.services import addon_service, attachment_var
from seaway.errors import Invalid
from seaway.naming import CONFIG_KEY, PROCESS_TYPE

ABOUT = {"name", "description", "keywords", "website", "repository", "logo", "success_url"}  # shown by Heroku only
IGNORED = {
    "buildpacks": "Seaway builds every app with its own Python build",
    "stack": "Seaway runs every app on the host's system",
    "image": "Seaway builds from source, not from a Docker image",
    "environments": "Seaway has no Heroku CI or review apps",
    "cron": "Seaway has no scheduler: run periodic jobs from a worker process",
}
KNOWN = ABOUT | set(IGNORED) | {"env", "addons", "formation", "scripts", "healthchecks"}
CHECK_DEFAULTS = {"attempts": 5, "timeout": 5, "wait": 1, "initialDelay": 0}
CHECK_LIMITS = {"attempts": (1, 100), "timeout": (1, 600), "wait": (0, 60), "initialDelay": (0, 600)}


class ManifestError(Invalid):
    """app.json cannot be used as it is; the message names the key and how to fix it."""


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str | None = None
    required: bool = True
    generator: str | None = None  # "secret": a random secret, made once at setup
    description: str = ""


@dataclass(frozen=True)
class AddonWanted:
    service: str  # postgresql
    plan: str = ""
    attach_as: str | None = None


@dataclass(frozen=True)
class Manifest:
    env: tuple[EnvVar, ...] = ()
    addons: tuple[AddonWanted, ...] = ()
    formation: dict[str, int] = field(default_factory=dict)
    postdeploy: str = ""
    healthchecks: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def sets_up(self) -> bool:
        """Whether it asks for anything at setup (config vars, add-ons, a formation or a postdeploy script)."""
        return bool(self.env or self.addons or self.formation or self.postdeploy)

    def missing(self, config: dict[str, str]) -> list[EnvVar]:
        """The required config vars that neither `config` nor the manifest itself gives a value."""
        return [var for var in self.env if var.required and var.value is None and var.generator is None
                and var.name not in config]

    def as_json(self) -> dict[str, Any]:
        """What a slug records of its app.json (read back by `from_json`)."""
        data: dict[str, Any] = {}
        if self.healthchecks:
            data["healthchecks"] = {"web": list(self.healthchecks)}
        if self.env:
            data["env"] = {v.name: {"value": v.value, "required": v.required, "generator": v.generator,
                                    "description": v.description} for v in self.env}
        if self.addons:
            data["addons"] = [{"service": a.service, "plan": a.plan, "as": a.attach_as} for a in self.addons]
        if self.formation:
            data["formation"] = dict(self.formation)
        if self.postdeploy:
            data["postdeploy"] = self.postdeploy
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            env=tuple(EnvVar(name, **{k: v for k, v in entry.items()}) for name, entry in data.get("env", {}).items()),
            addons=tuple(AddonWanted(a["service"], a["plan"], a["as"]) for a in data.get("addons", [])),
            formation=dict(data.get("formation", {})),
            postdeploy=data.get("postdeploy", ""),
            healthchecks=tuple(data.get("healthchecks", {}).get("web", [])),
        )


def parse_manifest(text: str) -> Manifest:
    """The manifest in app.json's `text` (ManifestError if it cannot be used)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ManifestError(f"app.json is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}. "
                            "Fix it, or remove app.json if you do not need it.") from error
    except RecursionError as error:
        raise ManifestError("app.json nests too deeply to be a manifest: write it as Heroku's app.json schema "
                            "says (objects a few levels deep).") from error
    if not isinstance(data, dict):
        raise ManifestError("app.json must hold a JSON object ({...}).")
    warnings = [f"app.json \"{key}\" is ignored: {why}." for key, why in IGNORED.items() if key in data]
    warnings += [f"app.json has a key Seaway does not know: \"{key}\" (ignored; check its spelling)."
                 for key in data if key not in KNOWN]
    postdeploy, script_notes = _scripts(data.get("scripts", {}))
    return Manifest(env=_env(data.get("env", {})), addons=_addons(data.get("addons", [])),
                    formation=_formation(data.get("formation", {})), postdeploy=postdeploy,
                    healthchecks=_healthchecks(data.get("healthchecks", {})), warnings=tuple(warnings + script_notes))


def _env(raw: Any) -> tuple[EnvVar, ...]:
    if not isinstance(raw, dict):
        raise ManifestError("app.json \"env\" must be an object of config vars, e.g. "
                            "{\"SECRET_KEY\": {\"generator\": \"secret\"}}.")
    return tuple(_env_var(name, entry) for name, entry in raw.items())


def _env_var(name: str, entry: Any) -> EnvVar:
    where = f"app.json env.{name}"
    if not CONFIG_KEY.fullmatch(name):
        raise ManifestError(f"{where}: a config var name has letters, digits and underscores, not starting with a digit.")
    if isinstance(entry, str):
        return EnvVar(name, value=entry)
    if not isinstance(entry, dict):
        raise ManifestError(f"{where} must be a string (its value) or an object like "
                            "{\"description\": \"...\", \"value\": \"...\"}.")
    value, required, generator = entry.get("value"), entry.get("required", True), entry.get("generator")
    description = entry.get("description", "")
    if value is not None and not isinstance(value, str):
        raise ManifestError(f"{where}.value must be a string (write \"{json.dumps(value)}\" in quotes).")
    if not isinstance(required, bool):
        raise ManifestError(f"{where}.required must be true or false.")
    if generator not in (None, "secret"):
        raise ManifestError(f"{where}.generator {generator!r} is not one Seaway has: use \"secret\".")
    if not isinstance(description, str):
        raise ManifestError(f"{where}.description must be a string.")
    return EnvVar(name, value, required, generator, description)


def _addons(raw: Any) -> tuple[AddonWanted, ...]:
    if not isinstance(raw, list):
        raise ManifestError("app.json \"addons\" must be a list, e.g. [\"heroku-postgresql\"].")
    return tuple(_addon(entry, index) for index, entry in enumerate(raw))


def _addon(entry: Any, index: int) -> AddonWanted:
    where = f"app.json addons[{index}]"
    if isinstance(entry, str):
        plan_text, attach_as = entry, None
    elif isinstance(entry, dict) and isinstance(entry.get("plan"), str):
        plan_text, attach_as = entry["plan"], entry.get("as")
        if attach_as is not None and not isinstance(attach_as, str):
            raise ManifestError(f"{where}.as must be a string like \"ANALYTICS\" (attached as ANALYTICS_URL).")
        if attach_as is not None:
            try:
                attachment_var(attach_as, f"{where}.as")
            except Invalid as error:
                raise ManifestError(str(error)) from error
    else:
        raise ManifestError(f"{where} must be a string like \"heroku-postgresql\" or an object like "
                            "{\"plan\": \"heroku-postgresql\", \"as\": \"ANALYTICS\"}.")
    try:
        service, plan = addon_service(plan_text, where)
    except Invalid as error:
        raise ManifestError(f"{error} Remove the others from app.json, or run them yourself and set their "
                            "config vars.") from error
    return AddonWanted(service, plan, attach_as)


def _formation(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict):
        raise ManifestError("app.json \"formation\" must be an object, e.g. {\"web\": {\"quantity\": 1}}.")
    formation = {}
    for process_type, entry in raw.items():
        where = f"app.json formation.{process_type}"
        quantity = entry.get("quantity", 1) if isinstance(entry, dict) else None
        if not PROCESS_TYPE.fullmatch(process_type):
            raise ManifestError(f"{where}: a process type has letters, digits, - and _ only.")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= 100:
            raise ManifestError(f"{where} must be an object like {{\"quantity\": 1}}, with a quantity from 0 to 100.")
        formation[process_type] = quantity
    return formation


def _scripts(raw: Any) -> tuple[str, list[str]]:
    if not isinstance(raw, dict):
        raise ManifestError("app.json \"scripts\" must be an object, e.g. {\"postdeploy\": \"python seed.py\"}.")
    postdeploy = raw.get("postdeploy", "")
    if isinstance(postdeploy, dict):
        postdeploy = postdeploy.get("command", "")
    if not isinstance(postdeploy, str):
        raise ManifestError("app.json scripts.postdeploy must be a command (a string), e.g. \"python seed.py\".")
    notes = [f"app.json scripts.{name} is ignored: Seaway has no review apps or Heroku CI."
             for name in raw if name != "postdeploy"]
    return postdeploy.strip(), notes


def _healthchecks(raw: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(raw, dict):
        raise ManifestError("app.json \"healthchecks\" must be an object keyed by process type, e.g. {\"web\": [...]}.")
    checks = raw.get("web") or []
    if not isinstance(checks, list):
        raise ManifestError("app.json healthchecks.web must be a list of checks.")
    return tuple(c for c in (_check(check, i) for i, check in enumerate(checks)) if c)


def _check(raw: Any, index: int) -> dict[str, Any] | None:
    where = f"app.json healthchecks.web[{index}]"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where} must be an object like {{\"path\": \"/health\"}}.")
    if raw.get("type", "startup") != "startup":
        return None  # liveness/readiness checks are not used at deploy time
    path = raw.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ManifestError(f"{where} needs a \"path\" starting with / (e.g. \"/health\").")
    check: dict[str, Any] = {"path": path}
    for key, default in CHECK_DEFAULTS.items():
        value = raw.get(key, default)
        low, high = CHECK_LIMITS[key]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
            raise ManifestError(f"{where} \"{key}\" must be a number from {low} to {high}, got {value!r}.")
        check[key] = value
    return check
