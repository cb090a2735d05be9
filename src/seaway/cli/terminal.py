"""`seaway run` from a terminal: the local terminal in raw mode, wired to the dyno's by a WebSocket."""

from __future__ import annotations

import json
import os
import shutil
import sys
import termios
import threading
import tty

import click
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from seaway.cli.client import ApiClient


def _send_keys(socket: ClientConnection, fd: int) -> None:
    try:
        while data := os.read(fd, 1024):
            socket.send(data)
    except (OSError, ConnectionClosed):
        pass


def run_on_terminal(api: ApiClient, app: str, command: str) -> int:
    """Run `command` in a one-off dyno on a pseudo-terminal; return its exit status."""
    url = "ws" + api.url.removeprefix("http") + f"/apps/{app}/dynos/attach"
    columns, rows = shutil.get_terminal_size()
    headers = {key: value for key, value in api.http.headers.items() if key.lower() in ("authorization", "x-seaway-author")}
    try:
        socket = connect(url, additional_headers=headers, max_size=None)
    except InvalidStatus as error:
        raise click.ClickException("Invalid or missing API token (the API refused the terminal session, "
                                   f"HTTP {error.response.status_code}).") from error
    except OSError as error:
        raise api._unreachable(error) from error
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    with socket:
        socket.send(json.dumps({"command": command, "columns": columns, "rows": rows}))
        tty.setraw(fd)
        try:
            threading.Thread(target=_send_keys, args=(socket, fd), daemon=True).start()
            for message in socket:
                if isinstance(message, bytes):
                    sys.stdout.buffer.write(message)
                    sys.stdout.buffer.flush()
                    continue
                outcome = json.loads(message)
                if "error" in outcome:
                    raise click.ClickException(outcome["error"])
                return int(outcome["exit_code"])
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    raise click.ClickException("The terminal session closed before the dyno exited.")
