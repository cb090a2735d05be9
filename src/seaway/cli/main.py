"""The `seaway` command line: Heroku-style `topic:command` names, `-a/--app`, tables and live output."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from seaway.cli.client import ApiClient
from seaway.cli.linking import REMOTE_KEY, resolve_app
from seaway.cli.logs import follow_log
from seaway.cli.upload import git_dir, head_commit, pack_source
from seaway.logs.query import SOURCES
from seaway.slugs.git_source import pack_commit


def _remember_remote(context: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        context.meta[REMOTE_KEY] = value
    return value


def app_option(command: Any) -> Any:
    """-a/--app APP and -r/--remote REMOTE (the app that git remote's URL names)."""
    command = click.option("-r", "--remote", callback=_remember_remote, expose_value=False, is_eager=True,
                           help="The git remote of the app to act on.")(command)
    return click.option("-a", "--app", "app", help="The app to act on (default: the `seaway` git remote's, "
                                                     "or the linked app).")(command)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def client() -> ApiClient:
    return ApiClient()


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


def confirm_app(name: str, confirm: str | None, what: str) -> str:
    """The app's name once confirmed: by --confirm, or typed at Heroku's prompt when in a terminal."""
    if confirm is None and sys.stdin.isatty() and sys.stdout.isatty():
        click.echo(f" !     WARNING: Destructive action. {what}\n !     This command will affect the app {name}.\n"
                   f" !     To proceed, type {name} or re-run this command with --confirm {name}", err=True)
        confirm = click.prompt("", prompt_suffix="> ", default="", show_default=False)
    if confirm != name:
        raise click.UsageError(f"{what} Run again with --confirm {name}.")
    return name


def print_table(columns: list[str], rows: list[list[str]]) -> None:
    """Columns and rows as a table; every cell is printed as the text it is (`[red]` is no markup here)."""
    from rich.console import Console  # imported here: most commands print no table
    from rich.table import Table
    from rich.text import Text

    result = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        result.add_column(column)
    for row in rows:
        result.add_row(*(Text(str(cell)) for cell in row))
    Console(highlight=False).print(result)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seaway")
def cli() -> None:
    """Seaway: a self-hosted, Heroku-compatible platform for Python web apps."""


@cli.command("server")
def server() -> None:
    """Run the platform daemon (API, router, PostgreSQL, dynos) in the foreground."""
    from seaway.server import serve
    from seaway.settings import Settings

    serve(Settings.from_env())


# -- apps ------------------------------------------------------------------------
@cli.command("apps")
@json_option
def apps(as_json: bool) -> None:
    """List apps."""
    data = client().request("GET", "/apps")
    if as_json:
        return print_json(data)
    if not data:
        click.echo("You have no apps. Create one with `seaway apps:create NAME`.")
    for item in data:
        click.echo(item["name"])


@cli.command("apps:info")
@app_option
@json_option
def apps_info(app: str | None, as_json: bool) -> None:
    """Show an app's release, slug, add-ons and dynos."""
    info = client().request("GET", f"/apps/{resolve_app(app)}")
    if as_json:
        return print_json(info)
    slug = info["slug"] or {}
    rows = [("Release", f"v{info['release']}" if info["release"] else "none"), ("Web URL", info["web_url"]),
            ("HTTPS URL", info.get("https_url") or "none"),
            ("Add-ons", ", ".join(info["addons"]) or "none"),
            ("Dynos", ", ".join(f"{d['name']} ({d['state']})" for d in info["dynos"]) or "none"),
            ("Python", slug.get("python_version", "")), ("Slug size", f"{slug['size'] / 1e6:.1f} MB" if slug else "")]
    click.echo(f"=== {info['name']}")
    for label, value in rows:
        click.echo(f"{label + ':':<11}{value}")


@cli.command("apps:destroy")
@app_option
@click.option("--confirm", help="The app's name, to confirm.")
def apps_destroy(app: str | None, confirm: str | None) -> None:
    """Destroy an app: its dynos, releases, config vars, database and logs."""
    name = resolve_app(app)
    if confirm != name:
        raise click.UsageError(f"This destroys {name} and its data. Run again with --confirm {name}.")
    result = client().request("DELETE", f"/apps/{name}")
    click.echo(f"Destroying {name}... done")
    for final in result["final_backups"]:
        click.echo(f"Final backup of {final}")
    if result["backups_kept_in"]:
        click.echo(f"Backups kept in {result['backups_kept_in']} (pg_restore reads them)")
    for warning in result.get("warnings", []):
        click.echo(f" !     Warning: {warning}", err=True)


# -- add-ons and config ------------------------------------------------------------
@cli.command("addons:create")
@click.argument("service")
@app_option
@click.option("--as", "attach_as", help="Attach as NAME_URL (the first database is DATABASE_URL).")
def addons_create(service: str, app: str | None, attach_as: str | None) -> None:
    """Attach an add-on to an app: postgresql, or Heroku's name heroku-postgresql[:PLAN]."""
    name = resolve_app(app)
    result = client().job("POST", f"/apps/{name}/addons", json={"service": service, "attach_as": attach_as})
    click.echo(f"Created {result['name']} as {result['config_var']} on {name} (release v{result['release']})")
    if result.get("plan"):
        click.echo(f"Plan {result['plan']} recorded; Seaway enforces no plan's limits (the database has the host's).")


@cli.command("config")
@app_option
@json_option
@click.option("--shell", is_flag=True, help="Print KEY=value lines for a shell.")
def config(app: str | None, as_json: bool, shell: bool) -> None:
    """Show config vars."""
    name = resolve_app(app)
    data = client().request("GET", f"/apps/{name}/config")
    if as_json:
        return print_json(data)
    if shell:
        for key, value in data.items():
            click.echo(f"{key}={shlex.quote(value)}")
        return
    click.echo(f"=== {name} Config Vars")
    width = max((len(key) for key in data), default=0) + 1
    for key, value in data.items():
        click.echo(f"{key + ':':<{width}} {value}")


@cli.command("config:set")
@click.argument("pairs", nargs=-1, required=True)
@app_option
def config_set(pairs: tuple[str, ...], app: str | None) -> None:
    """Set config vars: KEY=VALUE ... (makes a new release and restarts dynos)."""
    name = resolve_app(app)
    changes = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.UsageError(f"{pair!r} is not KEY=VALUE. Example: seaway config:set SECRET_KEY=abc")
        changes[key] = value
    result = client().job("PATCH", f"/apps/{name}/config", json=changes)
    click.echo(f"Setting {', '.join(changes)} and restarting {name}... done, v{result['release']}")


@cli.command("config:get")
@click.argument("key")
@app_option
def config_get(key: str, app: str | None) -> None:
    """Print one config var's value."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/config")
    if key not in data:
        raise click.ClickException(f"No config var named {key}. Set it with `seaway config:set {key}=VALUE`.")
    click.echo(data[key])


@cli.command("config:unset")
@click.argument("keys", nargs=-1, required=True)
@app_option
def config_unset(keys: tuple[str, ...], app: str | None) -> None:
    """Remove config vars (makes a new release and restarts dynos)."""
    name = resolve_app(app)
    result = client().job("PATCH", f"/apps/{name}/config", json={key: None for key in keys})
    click.echo(f"Unsetting {', '.join(keys)} and restarting {name}... done, v{result['release']}")


@cli.command("domains")
@app_option
@json_option
def domains(app: str | None, as_json: bool) -> None:
    """List the hostnames the router sends to the app."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/domains")
    if as_json:
        return print_json(data)
    for hostname in data:
        click.echo(hostname)


@cli.command("domains:add")
@click.argument("hostname")
@app_option
def domains_add(hostname: str, app: str | None) -> None:
    """Route HOSTNAME to the app (point its DNS at this host's router)."""
    name = resolve_app(app)
    client().request("POST", f"/apps/{name}/domains", json={"hostname": hostname})
    click.echo(f"Adding {hostname} to {name}... done")


@cli.command("domains:remove")
@click.argument("hostname")
@app_option
def domains_remove(hostname: str, app: str | None) -> None:
    """Stop routing HOSTNAME to the app."""
    name = resolve_app(app)
    client().request("DELETE", f"/apps/{name}/domains/{hostname}")
    click.echo(f"Removing {hostname} from {name}... done")


SWITCHES = {"true": "1", "on": "1", "yes": "1", "false": "0", "off": "0", "no": "0"}


@cli.command("apps:settings")
@click.argument("pairs", nargs=-1)
@app_option
@json_option
def apps_settings(pairs: tuple[str, ...], app: str | None, as_json: bool) -> None:
    """Show or change per-app settings: boot_timeout, stop_timeout, release_timeout, router_timeout (seconds),
    max_body_size (MB, 0: no limit), memory (MB per dyno: R14 above it, R15 at twice it; restarts the dynos),
    release_watch (seconds the previous release's web dynos stand by after a deploy, 0: none), force_https
    (true: HTTP is redirected to HTTPS), hsts (seconds of Strict-Transport-Security); `default` resets one."""
    name = resolve_app(app)
    if pairs:
        values: dict[str, int | None] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            value = SWITCHES.get(value.lower(), value)
            if not sep or not (value.isdigit() or value == "default"):
                raise click.UsageError(f"{pair!r} is not KEY=NUMBER (or true/false). Example: seaway apps:settings "
                                       "boot_timeout=120")
            values[key] = None if value == "default" else int(value)
        data = client().request("PATCH", f"/apps/{name}/settings", json=values)
    else:
        data = client().request("GET", f"/apps/{name}/settings")
    if as_json:
        return print_json(data)
    width = max(map(len, data)) + 2
    for key, value in data.items():
        click.echo(f"{key + ':':<{width}}{value}")


# -- deploy, release history, dynos --------------------------------------------------
@cli.command("deploy")
@click.argument("directory", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@app_option
@click.option("--include-uncommitted", is_flag=True, help="In a git repository, deploy the work tree as it is, "
                                                           "uncommitted changes included (default: HEAD's commit).")
def deploy(directory: Path, app: str | None, include_uncommitted: bool) -> None:
    """Build DIRECTORY (default: here) into a slug and release it: in a git repository, HEAD's committed tree."""
    folder = directory.resolve()
    name = resolve_app(app, folder)
    api = client()
    commit = head_commit(folder)
    if commit is not None and not include_uncommitted and commit.dirty:
        click.echo(" !     Warning: the work tree has uncommitted changes; deploying HEAD's commit without them "
                   "(commit them, or deploy with --include-uncommitted).", err=True)
    params = {}
    if commit is not None:
        params = {"commit": commit.sha, "subject": commit.subject[:200], "uncommitted": include_uncommitted and commit.dirty}
    committed = commit is not None and not include_uncommitted
    with pack_commit(git_dir(folder), f"{commit.sha}:{commit.folder}") if committed else pack_source(folder) as archive:
        what = f"{commit.sha[:7]} ({commit.subject[:60]})" if committed else str(directory)
        click.echo(f"-----> Uploading {what} to {name}")
        result = api.job("POST", f"/apps/{name}/builds", content=archive, params=params,
                         headers={"Content-Type": "application/gzip"})
    click.echo(f"-----> Released v{result['release']}: {result['web_url']} (slug {result['slug'][:12]})")


@cli.command("releases")
@app_option
@json_option
@click.option("-n", "--num", type=click.IntRange(min=1), help="Only the newest N releases.")
def releases(app: str | None, as_json: bool, num: int | None) -> None:
    """List releases, newest first."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/releases")[:num]
    if as_json:
        return print_json(data)
    click.echo(f"=== {resolve_app(app)} Releases")
    print_table(["Version", "Description", "Status", "Author", "Created"],
                [[f"v{r['version']}", r["description"], "current" if r["current"] else r["status"], r["author"],
                  r["created_at"][:19].replace("T", " ")] for r in data])


def _version_arg(version: str | None) -> str:
    return "current" if version is None else version.lstrip("vV")


@cli.command("releases:info")
@click.argument("version", required=False)
@app_option
@json_option
def releases_info(version: str | None, app: str | None, as_json: bool) -> None:
    """Show a release (default: the current one)."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/releases/{_version_arg(version)}")
    if as_json:
        return print_json(data)
    click.echo(f"=== Release v{data['version']}")
    status = f"{data['status']} (current)" if data["current"] else data["status"]
    for label, value in [("By", data["author"]), ("Change", data["description"]), ("When", data["created_at"]),
                         ("Status", status), ("Slug", data["slug"] or "none"),
                         ("Commit", f"{data['commit']} {data['commit_subject']}" if data.get("commit") else "none"),
                         ("Config vars", ", ".join(data["config_vars"]) or "none")]:
        click.echo(f"{label + ':':<13}{value}")
    if data.get("watch"):
        watch = data["watch"]
        click.echo(f"{'Watch:':<13}{watch['seconds_left']} s left; v{watch['standby']} stands by out of rotation")


@cli.command("releases:output")
@click.argument("version", required=False)
@app_option
def releases_output(version: str | None, app: str | None) -> None:
    """Show the release phase's output of a release (default: the current one)."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/releases/{_version_arg(version)}")
    click.echo(data["output"] or f"v{data['version']} has no release output.")


@cli.command("rollback")
@click.argument("version", required=False)
@app_option
def rollback(version: str | None, app: str | None) -> None:
    """Roll back to an earlier release's code and config vars (default: the previous good one), no rebuild."""
    name = resolve_app(app)
    number = None if version is None else int(_version_arg(version)) if _version_arg(version).isdigit() else None
    if version is not None and number is None:
        raise click.UsageError(f"{version!r} is not a release version like v3.")
    result = client().job("POST", f"/apps/{name}/releases/rollback", json={"version": number})
    click.echo(f"Rolled back {name} to v{result['rollback_of']}: now v{result['release']}")


@cli.command("ps")
@app_option
@json_option
def ps(app: str | None, as_json: bool) -> None:
    """List an app's dynos."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/dynos")
    if as_json:
        return print_json(data)
    if not data:
        click.echo("No dynos running.")
        return
    rows = []
    for d in data:
        state = d["state"] if d["state"] != "crashed" else f"crashed (exit {d['exit_code']})"
        rows.append([d["name"], state, d["since"][:19].replace("T", " "), f"v{d['release']}", str(d["restarts"]),
                     d["command"]])
    print_table(["Dyno", "State", "Since", "Release", "Restarts", "Command"], rows)


@cli.command("ps:scale")
@click.argument("pairs", nargs=-1, required=True)
@app_option
def ps_scale(pairs: tuple[str, ...], app: str | None) -> None:
    """Scale process types: web=2 worker=1 (0 stops a type)."""
    name = resolve_app(app)
    quantities = {}
    for pair in pairs:
        kind, sep, count = pair.partition("=")
        if not sep or not count.isdigit():
            raise click.UsageError(f"{pair!r} is not TYPE=N. Example: seaway ps:scale web=2 worker=1")
        quantities[kind] = int(count)
    client().job("PATCH", f"/apps/{name}/formation", json=quantities)


@cli.command("ps:restart")
@click.argument("target", required=False)
@app_option
def ps_restart(target: str | None, app: str | None) -> None:
    """Restart all dynos, one process type (web) or one dyno (web.1), without downtime."""
    name = resolve_app(app)
    client().job("POST", f"/apps/{name}/dynos/restart", json={"target": target})


cli.add_command(ps_restart, "restart")


@cli.command("ps:stop")
@click.argument("dyno")
@app_option
def ps_stop(dyno: str, app: str | None) -> None:
    """Stop one dyno (the formation starts it again)."""
    name = resolve_app(app)
    client().request("POST", f"/apps/{name}/dynos/{dyno}/stop")
    click.echo(f"Stopping {dyno} on {name}... done")


@cli.command("logs")
@app_option
@click.option("-n", "--num", default=100, show_default=True, help="How many lines of history.")
@click.option("-t", "--tail", is_flag=True, help="Keep following new lines (across deploys and daemon restarts).")
@click.option("-s", "--source", type=click.Choice(SOURCES), help="Only lines from this source.")
@click.option("-d", "--dyno", help="Only lines of this dyno (web.1) or of every dyno of a type (web).")
@click.option("-g", "--grep", help="Only lines that contain this text.")
def logs(app: str | None, num: int, tail: bool, source: str | None, dyno: str | None, grep: str | None) -> None:
    """Show an app's log: app output, router lines, releases, platform events."""
    name = resolve_app(app)
    params = {"num": num, "tail": tail, "source": source or "", "dyno": dyno or "", "grep": grep or ""}
    try:
        if tail:
            follow_log(client(), name, params)
        else:
            for line in client().stream("GET", f"/apps/{name}/logs", params=params):
                click.echo(line)
    except KeyboardInterrupt:
        pass


@cli.command("open")
@click.argument("path", default="")
@app_option
def open_app(path: str, app: str | None) -> None:
    """Open the app (or PATH of it) in a browser where there is one; print its URL."""
    url = client().request("GET", f"/apps/{resolve_app(app)}")["web_url"].rstrip("/") + "/" + path.lstrip("/")
    click.echo(url)
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform == "darwin":
        import webbrowser  # only with a screen: without one, webbrowser would start a text browser here

        webbrowser.open(url)


@cli.command("buildpacks")
@app_option
def buildpacks(app: str | None) -> None:
    """Say what builds the app (Seaway's own Python build; buildpack URLs are not used)."""
    name = resolve_app(app)
    client().request("GET", f"/apps/{name}")  # a clear error for an app that does not exist
    click.echo(f"=== {name} Buildpack\nSeaway's Python build (what heroku/python does: .python-version, "
               "pip/uv/Poetry/Pipenv, collectstatic, bin/pre_compile and bin/post_compile)")


@cli.command("run", context_settings={"ignore_unknown_options": True})
@app_option
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run(app: str | None, command: tuple[str, ...]) -> None:
    """Run a one-off dyno: seaway run -a APP -- CMD ARGS (its exit status is ours).

    From a terminal it is interactive, on a pseudo-terminal of its own; otherwise output is streamed."""
    name = resolve_app(app)
    text = command[0] if len(command) == 1 else shlex.join(command)
    if sys.stdin.isatty() and sys.stdout.isatty():
        from seaway.cli.terminal import run_on_terminal  # only interactive runs need WebSockets

        sys.exit(shell_status(run_on_terminal(client(), name, text)))
    result = client().job("POST", f"/apps/{name}/dynos", json={"command": text})
    code = result["exit_code"]
    sys.exit(1 if code is None else shell_status(code))


def shell_status(code: int) -> int:
    """A process killed by signal N (status -N) exits with 128 + N, as shells report it."""
    return code if code >= 0 else 128 - code


@cli.command("run:detached", context_settings={"ignore_unknown_options": True})
@app_option
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run_detached(app: str | None, command: tuple[str, ...]) -> None:
    """Run a one-off dyno in the background; its output goes to the log."""
    name = resolve_app(app)
    text = command[0] if len(command) == 1 else shlex.join(command)
    result = client().request("POST", f"/apps/{name}/dynos/detached", json={"command": text})
    click.echo(f"Running `{text}` on {name}... up, {result['name']}\nRun `seaway logs -a {name}` to see its output.")


def main() -> None:
    import seaway.cli.certs  # noqa: F401 - registers the certs:* commands
    import seaway.cli.drains  # noqa: F401 - registers the drains:* commands
    import seaway.cli.migrations  # noqa: F401 - registers the migrations:* commands
    import seaway.cli.postgres  # noqa: F401 - registers the addons:* and pg:* commands
    import seaway.cli.remotes  # noqa: F401 - registers create, git:* commands
    import seaway.cli.session  # noqa: F401 - registers login, logout, auth:* commands

    cli(prog_name="seaway")
