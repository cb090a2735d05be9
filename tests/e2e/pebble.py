"""Let's Encrypt's test ACME server, Debian's `pebble`, on loopback: its own DNS (pebble-challtestsrv)
answers every name with 127.0.0.1, and it validates HTTP-01 challenges on the router's HTTP port."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

from seaway.dynos.local import free_port
from tests.certs.pki import key_pem, make_ca, make_leaf, pem


def available() -> bool:
    return bool(shutil.which("pebble") and shutil.which("pebble-challtestsrv"))


class Pebble:
    def __init__(self, folder: Path, http_port: int, validity_seconds: int) -> None:
        """`http_port`: where pebble connects for HTTP-01 (the router); `validity_seconds`: of what it issues."""
        self.folder, self.http_port, self.validity = folder, http_port, validity_seconds
        self.port, self.dns_port, self.management_port = free_port(), free_port(), free_port()
        self.ca_bundle = folder / "pebble-tls-root.pem"  # trusts pebble's own HTTPS listener
        self.processes: list[subprocess.Popen[bytes]] = []
        folder.mkdir(parents=True, exist_ok=True)
        root = make_ca("Pebble listener test root")
        leaf, key = make_leaf(root, ["localhost"])
        self.ca_bundle.write_text(pem(root.cert))
        (folder / "listener.pem").write_text(pem(leaf))
        (folder / "listener.key").write_text(key_pem(key))

    @property
    def directory(self) -> str:
        return f"https://localhost:{self.port}/dir"

    def start(self) -> None:
        config = {"pebble": {"listenAddress": f"127.0.0.1:{self.port}",
                             "managementListenAddress": f"127.0.0.1:{self.management_port}",
                             "certificate": str(self.folder / "listener.pem"),
                             "privateKey": str(self.folder / "listener.key"),
                             "httpPort": self.http_port, "tlsPort": free_port(), "ocspResponderURL": "",
                             "externalAccountBindingRequired": False,
                             "certificateValidityPeriod": self.validity}}
        (self.folder / "pebble.json").write_text(json.dumps(config))
        log = open(self.folder / "pebble.log", "ab")
        self.processes.append(subprocess.Popen(
            ["pebble-challtestsrv", "-dns01", f"127.0.0.1:{self.dns_port}", "-defaultIPv4", "127.0.0.1",
             "-defaultIPv6", "", "-http01", "", "-https01", "", "-tlsalpn01", "", "-management",
             f"127.0.0.1:{free_port()}"], stdout=log, stderr=log))
        env = {"PATH": "/usr/bin:/bin", "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0",
               "PEBBLE_AUTHZREUSE": "0"}
        self.processes.append(subprocess.Popen(
            ["pebble", "-config", str(self.folder / "pebble.json"), "-dnsserver", f"127.0.0.1:{self.dns_port}"],
            stdout=log, stderr=log, env=env))
        context = ssl.create_default_context(cafile=str(self.ca_bundle))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as raw, \
                        context.wrap_socket(raw, server_hostname="localhost"):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"pebble did not start: {(self.folder / 'pebble.log').read_text(errors='replace')}")

    def root_pem(self) -> str:
        """The root pebble signs with (made anew at each start)."""
        context = ssl.create_default_context(cafile=str(self.ca_bundle))
        url = f"https://localhost:{self.management_port}/roots/0"
        with urllib.request.urlopen(url, context=context, timeout=30) as answer:
            return answer.read().decode()

    def stop_acme(self) -> None:
        """Stop the ACME server itself (orders fail from now on); the DNS keeps running."""
        self.processes[-1].terminate()
        self.processes[-1].wait(30)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                process.wait(30)
