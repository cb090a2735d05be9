"""ps:* and run:* — an app's dynos: listing, scaling, restarting, stopping, and one-off dynos."""

from __future__ import annotations

import shlex
import sys

import click

from seaway.cli.common import app_option, client, json_option, print_json, print_table
from seaway.cli.linking import resolve_app


@click.command("ps")
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


@click.command("ps:scale")
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


@click.command("ps:restart")
@click.argument("target", required=False)
@app_option
def ps_restart(target: str | None, app: str | None) -> None:
    """Restart all dynos, one process type (web) or one dyno (web.1), without downtime."""
    name = resolve_app(app)
    client().job("POST", f"/apps/{name}/dynos/restart", json={"target": target})


@click.command("ps:stop")
@click.argument("dyno")
@app_option
def ps_stop(dyno: str, app: str | None) -> None:
    """Stop one dyno (the formation starts it again)."""
    name = resolve_app(app)
    client().request("POST", f"/apps/{name}/dynos/{dyno}/stop")
    click.echo(f"Stopping {dyno} on {name}... done")


@click.command("run", context_settings={"ignore_unknown_options": True})
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


@click.command("run:detached", context_settings={"ignore_unknown_options": True})
@app_option
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run_detached(app: str | None, command: tuple[str, ...]) -> None:
    """Run a one-off dyno in the background; its output goes to the log."""
    name = resolve_app(app)
    text = command[0] if len(command) == 1 else shlex.join(command)
    result = client().request("POST", f"/apps/{name}/dynos/detached", json={"command": text})
    click.echo(f"Running `{text}` on {name}... up, {result['name']}\nRun `seaway logs -a {name}` to see its output.")


COMMANDS = [ps, ps_scale, ps_restart, ps_stop, run, run_detached]
