"""Small helpers shared by unit tests."""

from __future__ import annotations

from pathlib import Path


def make_tree(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text) under `root`."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def free_dyno_network(prefix: int = 20) -> str:
    """A random 10.200-250.x.0/`prefix` network that no address of this host is in (daemons and sandboxes of
    tests running side by side must never share one: each one's stop would take the other's service address)."""
    import ipaddress
    import random
    import subprocess

    shown = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True).stdout.splitlines()
    taken = [ipaddress.IPv4Interface(line.split()[3]).network for line in shown]
    while True:
        network = ipaddress.IPv4Network(f"10.{random.randint(200, 250)}.{16 * random.randint(0, 15)}.0/{prefix}")
        if not any(network.overlaps(other) for other in taken):
            return str(network)
