"""Each sandbox's own network: the host reaches it, other sandboxes and the host's services do not."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seaway.sandbox import Jail, Sandbox, environment_file
from tests.helpers import free_dyno_network
from tests.sandbox.conftest import run_in

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="sandboxes need root"), pytest.mark.timeout(120)]

SERVE = ("exec python3 -c \"import http.server as h; "
         "h.HTTPServer(('0.0.0.0', {port}), h.SimpleHTTPRequestHandler).serve_forever()\"")
CONNECT = ("python3 -c \"import socket, sys\ntry:\n    socket.create_connection(('{host}', {port}), timeout=2)\n"
           "    print('CONNECTED')\nexcept OSError as e:\n    print('REFUSED', e)\"")


def start_in(jail: Jail, script: str) -> subprocess.Popen[bytes]:
    env_fd = environment_file({"PATH": "/usr/bin:/bin"})
    try:
        return subprocess.Popen(jail.command(["/bin/bash", "-c", script], env_fd), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **Jail.popen_kwargs(env_fd))  # type: ignore[arg-type]
    finally:
        os.close(env_fd)


def reachable(address: tuple[str, int], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(address, timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@pytest.fixture
def served(open_jail, slug) -> Iterator[tuple[Jail, int]]:
    jail = open_jail(overlay_lower=slug)
    process = start_in(jail, SERVE.format(port=5000))
    assert jail.address and reachable((jail.address, 5000))
    yield jail, 5000
    jail.kill(process.pid)
    process.wait(10)


def test_the_host_reaches_a_sandbox_at_its_own_address(served: tuple[Jail, int]) -> None:
    jail, port = served
    assert jail.address != "127.0.0.1" and reachable((jail.address, port), timeout=2)  # type: ignore[arg-type]


def test_a_sandbox_cannot_reach_another(open_jail, slug, served: tuple[Jail, int]) -> None:
    victim, port = served
    attacker = open_jail(overlay_lower=slug)
    assert victim.lease and attacker.lease
    targets = [(victim.address, port), (victim.lease.gateway, port)]
    ran = run_in(attacker, "; ".join(CONNECT.format(host=h, port=p) for h, p in targets))
    assert ran.out.split().count("REFUSED") == 2 and "CONNECTED" not in ran.out, ran.out


def test_a_sandbox_reaches_only_the_allowed_ports_of_the_host(open_jail, slug, sandbox: Sandbox) -> None:
    if not sandbox.network.nat:
        pytest.skip("no nftables: the host's services are not filtered")
    listeners = []
    for port in (15432, 15433):  # 15432 is allowed (PostgreSQL's stand-in), 15433 not
        server = socket.create_server((sandbox.service_address, port))
        listeners.append(server)
    try:
        jail = open_jail(overlay_lower=slug)
        ran = run_in(jail, "; ".join(CONNECT.format(host=sandbox.service_address, port=p) for p in (15432, 15433)))
        assert ran.out.split()[0] == "CONNECTED" and ran.out.split()[1] == "REFUSED", ran.out
    finally:
        for server in listeners:
            server.close()


def test_binding_a_port_in_a_sandbox_takes_nothing_from_the_host(open_jail, slug) -> None:
    host = socket.create_server(("127.0.0.1", 0))
    port = host.getsockname()[1]
    try:
        jail = open_jail(overlay_lower=slug)
        grab = ("python3 -c \"import socket\nfor family, addr in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1'),"
                " (socket.AF_INET, '0.0.0.0')):\n    s = socket.socket(family)\n    s.bind((addr, {port}))\n    s.listen()\n"
                "print('BOUND')\"").format(port=port)
        assert "BOUND" in run_in(jail, grab).out  # its own loopback: nobody else's port
        client = socket.create_connection(("127.0.0.1", port), timeout=2)  # the host's listener still answers
        accepted, _ = host.accept()
        accepted.close()
        client.close()
    finally:
        host.close()


def test_leases_are_freed(open_jail, slug, sandbox: Sandbox) -> None:
    jail = open_jail(overlay_lower=slug)
    assert jail.lease is not None
    netns, link = jail.lease.netns, jail.lease.host_interface
    sandbox.close(jail)
    assert not (jail.lease.netns_path).exists()
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert f" {link}@" not in links and f" {link}:" not in links
    assert netns not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def test_networks_made_in_advance_are_fresh_and_go_at_stop() -> None:
    from seaway.sandbox.network import READY, DynoNetwork

    tag = os.urandom(3).hex()
    network = DynoNetwork(free_dyno_network(24), tag)
    network.start()
    try:
        network.fill()
        deadline = time.monotonic() + 10
        while len(network._ready) < READY and time.monotonic() < deadline:
            time.sleep(0.02)
        first, second = network.lease(), network.lease()
        assert first.slot != second.slot and first.netns_path.exists() and second.netns_path.exists()
        network.release(first)
        network.release(second)
    finally:
        network.stop()
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert f"sw{tag}" not in links
    assert not list(Path("/run/netns").glob(f"sw{tag}-*"))


def test_a_second_daemon_on_the_same_network_is_refused_and_takes_nothing_from_the_first() -> None:
    from seaway.sandbox.network import DynoNetwork, NetworkError

    cidr = free_dyno_network(24)
    first, second = DynoNetwork(cidr, os.urandom(3).hex()), DynoNetwork(cidr, os.urandom(3).hex())
    first.start()
    try:
        assert f"{first.service_address}/32" in lo_addresses(f"lo:{first.tag}")
        with pytest.raises(NetworkError, match=f"overlaps {first.service_address}/32 on lo \\(another Seaway "
                                               f"daemon's: lo:{first.tag}\\)"):
            second.start()
        second.stop()  # as a daemon whose start failed stops what it started
        assert f"{first.service_address}/32" in lo_addresses(f"lo:{first.tag}")  # still the first's
    finally:
        first.stop()
    assert f"{first.service_address}/32" not in lo_addresses()


def test_an_unlabelled_service_address_of_an_older_version_is_taken_over() -> None:
    from seaway.sandbox.network import DynoNetwork

    network = DynoNetwork(free_dyno_network(24), os.urandom(3).hex())
    subprocess.run(["ip", "addr", "add", f"{network.service_address}/32", "dev", "lo"], check=True)
    network.start()
    try:
        assert f"{network.service_address}/32" in lo_addresses(f"lo:{network.tag}")
    finally:
        network.stop()
    assert f"{network.service_address}/32" not in lo_addresses()


def lo_addresses(label: str | None = None) -> list[str]:
    shown = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True).stdout
    return [line.split()[3] for line in shown.splitlines()
            if label is None or line.split("\\")[0].split()[-1] == label]
