"""The `seaway` command line: Heroku-style `topic:command` names, `-a/--app`, tables and live output.

Each topic's commands live in a module of their own (cli/apps.py, cli/config.py, ...), which lists them in
COMMANDS; this module only puts them together in the `cli` group. No topic module imports this one."""

from __future__ import annotations

import click

from seaway.cli import (
    addons,
    apps,
    certs,
    config,
    deploy,
    domains,
    drains,
    logs,
    migrations,
    pipelines,
    postgres,
    ps,
    releases,
    remotes,
    server,
    session,
)

TOPICS = (server, apps, addons, config, domains, deploy, releases, ps, logs, drains, postgres, migrations, certs,
          pipelines, remotes, session)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seaway")
def cli() -> None:
    """Seaway: a self-hosted, Heroku-compatible platform for Python web apps."""


for topic in TOPICS:
    for command in topic.COMMANDS:
        cli.add_command(command)
cli.add_command(apps.create, "apps:create")  # Heroku's two names for the same commands
cli.add_command(ps.ps_restart, "restart")


def main() -> None:
    cli(prog_name="seaway")
