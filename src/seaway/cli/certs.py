"""certs:* — the router's TLS certificates: the local CA's (to trust), and each app's."""

from __future__ import annotations

from pathlib import Path

import click

from seaway.cli.common import app_option, client, confirm_app, json_option, print_json, print_table
from seaway.cli.linking import resolve_app


@click.command("certs:ca")
def certs_ca() -> None:
    """Print the local CA's certificate (PEM): trust it to reach https://APP.localhost without warnings
    (`curl --cacert ca.pem`, or a browser's certificate store)."""
    for line in client().stream("GET", "/certs/ca"):
        click.echo(line)


def _print_certificate(data: dict) -> None:
    for label, value in [("Name", data["name"]), ("Type", "ACME" if data["kind"] == "auto" else "own"),
                         ("Common Name(s)", ", ".join(data["names"])), ("Domains", ", ".join(data["domains"]) or "none"),
                         ("Serving", ", ".join(data["serving"]) or "nothing"), ("Issuer", data["issuer"]),
                         ("Subject", data["subject"]), ("Starts At", data["not_before"]),
                         ("Expires At", data["expires_at"]), ("Fingerprint", data["fingerprint"]),
                         ("Status", data["status"])]:
        click.echo(f"{label + ':':<16}{value}")


@click.command("certs")
@app_option
@json_option
def certs(app: str | None, as_json: bool) -> None:
    """List an app's certificates (own and ACME): names, domains, expiry, status."""
    name = resolve_app(app)
    data = client().request("GET", f"/apps/{name}/certs")
    if as_json:
        return print_json(data)
    if not data:
        click.echo(f"{name} has no certificates of its own: its hosts are served with the local CA's "
                   "(`seaway certs:add CRT KEY`, or `seaway certs:auto:enable`).")
        return
    print_table(["Name", "Common Name(s)", "Expires", "Type", "Domains", "Status"],
                [[c["name"], ", ".join(c["names"]), c["expires_at"][:16].replace("T", " ") + " UTC",
                  "ACME" if c["kind"] == "auto" else "own", ", ".join(c["domains"]), c["status"]] for c in data])


@click.command("certs:add")
@click.argument("certificate", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@app_option
@json_option
def certs_add(certificate: Path, key: Path, app: str | None, as_json: bool) -> None:
    """Add your own certificate (CRT: it and its intermediates, PEM) with its private KEY: it serves the app's
    custom domains it covers."""
    name = resolve_app(app)
    click.echo(f"Adding SSL certificate to {name}...", nl=False, err=True)
    data = client().request("POST", f"/apps/{name}/certs",
                            json={"certificate": certificate.read_text(errors="replace"),
                                  "private_key": key.read_text(errors="replace")})
    click.echo(" done", err=True)
    if as_json:
        return print_json(data)
    _print_certificate(data)


@click.command("certs:info")
@click.option("--name", "cert_name", help="Which certificate (see `seaway certs`); needed when there are several.")
@app_option
@json_option
def certs_info(cert_name: str | None, app: str | None, as_json: bool) -> None:
    """Show one of an app's certificates."""
    name = resolve_app(app)
    data = client().request("GET", f"/apps/{name}/certs/{cert_name or _only(name)}")
    if as_json:
        return print_json(data)
    _print_certificate(data)


@click.command("certs:remove")
@click.option("--name", "cert_name", help="Which certificate (see `seaway certs`); needed when there are several.")
@click.option("--confirm", help="The app's name, to confirm.")
@app_option
def certs_remove(cert_name: str | None, confirm: str | None, app: str | None) -> None:
    """Remove one of an app's certificates: its domains are served with another (or the local CA's)."""
    name = resolve_app(app)
    which = cert_name or _only(name)
    confirm_app(name, confirm, f"This removes the certificate {which} of {name}.")
    click.echo(f"Removing SSL certificate {client().request('DELETE', f'/apps/{name}/certs/{which}')['removed']} "
               f"from {name}... done")


def _only(app: str) -> str:
    """The app's one certificate, when --name is not given."""
    names = [c["name"] for c in client().request("GET", f"/apps/{app}/certs")]
    if len(names) != 1:
        raise click.UsageError(f"{app} has {len(names)} certificates ({', '.join(names) or 'none'}): say which "
                               "with --name.")
    return names[0]


def _print_auto(data: dict) -> None:
    if not data["enabled"]:
        click.echo("Automatic certificates are disabled (`seaway certs:auto:enable`).")
        return
    click.echo("=== Automatic certificates (ACME)")
    print_table(["Domain", "Status", "Expires", "Last error", "Retry at"],
                [[d["domain"], d["status"], (d["expires_at"] or "")[:16].replace("T", " "), d["last_error"] or "",
                  (d["retry_at"] or "")[:19].replace("T", " ")] for d in data["domains"]])


@click.command("certs:auto")
@app_option
@json_option
def certs_auto(app: str | None, as_json: bool) -> None:
    """Show automatic certificates (ACME): each custom domain's status, expiry and last error."""
    data = client().request("GET", f"/apps/{resolve_app(app)}/certs/auto")
    if as_json:
        return print_json(data)
    _print_auto(data)


@click.command("certs:auto:enable")
@app_option
def certs_auto_enable(app: str | None) -> None:
    """Get and renew certificates for the app's custom domains from the ACME CA (their DNS must point here)."""
    name = resolve_app(app)
    click.echo(f"Enabling automatic certificates for {name}... done")
    _print_auto(client().request("POST", f"/apps/{name}/certs/auto"))
    click.echo("Certificates are ordered in the background: watch `seaway certs:auto`.")


@click.command("certs:auto:disable")
@app_option
def certs_auto_disable(app: str | None) -> None:
    """Stop automatic certificates; the ones issued are removed."""
    name = resolve_app(app)
    client().request("DELETE", f"/apps/{name}/certs/auto")
    click.echo(f"Disabling automatic certificates for {name}... done")


@click.command("certs:auto:refresh")
@app_option
def certs_auto_refresh(app: str | None) -> None:
    """Order the app's automatic certificates again now."""
    name = resolve_app(app)
    client().request("POST", f"/apps/{name}/certs/auto/refresh")
    click.echo(f"Refreshing automatic certificates for {name}... started (see `seaway certs:auto`)")


COMMANDS = [certs_ca, certs, certs_add, certs_info, certs_remove, certs_auto, certs_auto_enable, certs_auto_disable,
            certs_auto_refresh]
