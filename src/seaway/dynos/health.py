"""Deciding that a new dyno is up: a web dyno binds $PORT and passes its HTTP checks; others stay running."""

from __future__ import annotations

import http.client
import time
from typing import Any

from seaway.dynos.backend import Dyno


def http_check(address: tuple[str, int], check: dict[str, Any], delay: bool = True) -> str | None:
    """Run one app.json health check (attempts x timeout, `wait` between; after its initial delay unless
    not `delay`): None if it passed, else why not."""
    if delay:
        time.sleep(check.get("initialDelay", 0))
    reason = "no attempt was made"
    for attempt in range(int(check["attempts"])):
        if attempt:
            time.sleep(check["wait"])
        connection = http.client.HTTPConnection(*address, timeout=check["timeout"])
        try:
            connection.request("GET", check["path"], headers={"User-Agent": "Seaway-Healthcheck"})
            status = connection.getresponse().status
            if 200 <= status < 400:
                return None
            reason = f"GET {check['path']} answered {status}"
        except (OSError, http.client.HTTPException) as error:
            reason = f"GET {check['path']} failed: {error or type(error).__name__}"
        finally:
            connection.close()
    return f"health check failed after {check['attempts']} attempts ({reason})"


def wait_until_up(dyno: Dyno, settle: float) -> str | None:
    """None once the dyno counts as up, else the reason it does not (and then it may still be running)."""
    spec = dyno.spec
    if dyno.address is None:  # not web: up if it is still running after the settle time
        code = dyno.wait(settle)
        return None if code is None else f"{spec.name} exited with status {code} during boot"
    if not dyno.wait_until_bound(spec.boot_timeout):
        code = dyno.exit_code()
        problem = dyno.bind_problem() if code is None else None
        if problem:
            return problem
        if code is None:
            return (f"Error R10 (Boot timeout) -> {spec.name} failed to bind to $PORT within "
                    f"{spec.boot_timeout:g} seconds of launch")
        return f"{spec.name} exited with status {code} before binding to $PORT"
    for check in spec.healthchecks:
        failure = http_check(dyno.address, check)
        if failure:
            return f"{spec.name} {failure}"
    return None


def still_healthy(dyno: Dyno) -> str | None:
    """Run a running web dyno's health checks again (no initial delay): None if it passes them all."""
    for check in dyno.spec.healthchecks if dyno.address else ():
        failure = http_check(dyno.address, check, delay=False)
        if failure:
            return failure
    return None
