"""Reading failed installs' output: the packages named, the lock out of sync, uv's noise."""

from __future__ import annotations

from seaway.slugs.failures import failed_packages, install_failure_summary, is_noise
from seaway.slugs.managers import PIP, PIPENV, POETRY, UV

UV_BUILD_FAILURE = """\
Resolved 2 packages in 310ms
  × Failed to build `greenlet==3.0.1`
  ├─▶ The build backend returned an error
  ╰─▶ Call to `setuptools.build_meta.build_wheel` failed (exit status: 1)
      src/greenlet/greenlet.cpp:21:10: fatal error: Python.h: No such file or directory
      error: command '/usr/bin/gcc' failed with exit code 1
      hint: This usually indicates a problem with the package or the build environment.
  help: `greenlet` (v3.0.1) was included because `app` depends on `greenlet==3.0.1`""".splitlines()

UV_NO_SOLUTION = """\
  × No solution found when resolving dependencies:
  ╰─▶ Because there is no version of seaway-nothing==1.0 and you require seaway-nothing==1.0, we can
      conclude that your requirements are unsatisfiable.""".splitlines()

PIP_FAILURES = ["  ERROR: Failed building wheel for psycopg2",
                "ERROR: Failed to build installable wheels for some pyproject.toml based projects (psycopg2, lxml)",
                "ERROR: No matching distribution found for flask==99"]
POETRY_FAILURE = ["Note: This error originates from the build backend, and is likely not a problem with poetry "
                  "but one of the following issues with greenlet (3.0.1)"]


def test_packages_that_failed_to_build_or_resolve_are_named() -> None:
    assert failed_packages(UV_BUILD_FAILURE) == (["greenlet==3.0.1"], [])
    assert failed_packages(UV_NO_SOLUTION) == ([], ["seaway-nothing==1.0"])
    assert failed_packages(PIP_FAILURES) == (["psycopg2", "lxml"], ["flask==99"])
    assert failed_packages(POETRY_FAILURE) == (["greenlet (3.0.1)"], [])
    assert failed_packages(["Installed 3 packages in 5ms"]) == ([], [])


def test_the_summary_names_the_package_the_python_and_why_then_the_last_lines() -> None:
    reason = "Python 3.13.0 (no .python-version: 3.13 is the default; pin one, e.g. `echo 3.12 > .python-version`)"
    summary = install_failure_summary(UV_BUILD_FAILURE, PIP, reason).splitlines()
    assert summary[0] == "Could not install the dependencies with pip: greenlet==3.0.1 failed to build."
    assert summary[1] == f"Built with {reason}."
    assert "Last lines of the output:" in summary
    assert summary[-1].endswith("because `app` depends on `greenlet==3.0.1`")
    assert len(summary[summary.index("Last lines of the output:") + 1:]) == 8


def test_a_lock_out_of_sync_is_said_so_with_the_command_that_fixes_it() -> None:
    uv = ["error: The lockfile at `uv.lock` needs to be updated, but `--locked` was provided."]
    poetry = ["pyproject.toml changed significantly since poetry.lock was last generated. Run `poetry lock` to fix "
              "the lock file."]
    pipenv = ["Your Pipfile.lock (1d3c70) is out of", "date. Expected: (977953).", "ERROR:: Aborting deploy"]
    for lines, manager, fix in ((uv, UV, "uv lock"), (poetry, POETRY, "poetry lock"), (pipenv, PIPENV, "pipenv lock")):
        summary = install_failure_summary(lines, manager, "")
        lock = manager.files[-1]
        assert summary.startswith(f"{lock} is out of sync with {manager.files[0]}: it is never re-locked")
        assert f"Run `{fix}` locally and commit the updated {lock}." in summary


def test_uv_hard_link_warnings_are_noise_and_nothing_else_is() -> None:
    warning = ("warning: Failed to hardlink files; falling back to full copy. This may lead to degraded performance.",
               "         If the cache and target directories are on different filesystems, hardlinking may not be "
               "supported.",
               "         If this is intentional, set `export UV_LINK_MODE=copy` or use `--link-mode=copy` to suppress "
               "this warning.")
    assert all(is_noise(line) for line in warning)
    assert not any(is_noise(line) for line in UV_BUILD_FAILURE + UV_NO_SOLUTION + PIP_FAILURES)
