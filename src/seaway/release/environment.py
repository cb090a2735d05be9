"""The environment a dyno of a release gets (the backend adds PORT, DYNO, PATH and HOME)."""

from __future__ import annotations


def dyno_environment(config: dict[str, str], web_concurrency: int) -> dict[str, str]:
    env = {"PYTHONUNBUFFERED": "1", "WEB_CONCURRENCY": str(web_concurrency)}
    env.update(config)
    return env
