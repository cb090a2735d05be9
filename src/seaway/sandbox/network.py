"""A private network per sandbox: its own network namespace joined to the host by a veth pair.

Each sandbox gets a /30 of the dyno network: the host's end is its gateway, the sandbox's end its
address. The first address of the network is the service address, on the host's loopback: the
PostgreSQL server listens there, so every dyno reaches it at the same URL. Where the host has
nftables, one table of Seaway's lets sandboxes out to the world through NAT, and stops them from
reaching each other, link-local addresses (cloud metadata) and any host service but PostgreSQL and
the router. Without nftables sandboxes reach nothing outside their namespace but the host itself.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

NETNS_DIR = Path("/run/netns")
INSIDE_INTERFACE = "eth0"
READY = 2  # networks kept made in advance
REFILL_DELAY = 1.0  # seconds after a lease before making the next one


class NetworkError(Exception):
    pass


@dataclass(frozen=True)
class Lease:
    """One sandbox's network: a namespace, the host end of its veth pair, and the two addresses."""

    slot: int
    netns: str
    host_interface: str
    gateway: str
    address: str

    @property
    def netns_path(self) -> Path:
        return NETNS_DIR / self.netns


def _ip(*args: str, batch: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = ["ip", *args] + (["-batch", "-"] if batch is not None else [])
    result = subprocess.run(command, input=batch, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise NetworkError(f"`ip {' '.join(args)}` failed: {result.stderr.strip()}")
    return result


def _addresses() -> list[tuple[str, ipaddress.IPv4Interface, str]]:
    """The host's IPv4 addresses: (interface, address, label; the label is the interface's name when none)."""
    found = []
    for line in _ip("-4", "-o", "addr", "show").stdout.splitlines():
        fields = line.split("\\")[0].split()
        interface = fields[1].split("@")[0]
        found.append((interface, ipaddress.IPv4Interface(fields[3]), fields[-1] if len(fields) > 6 else interface))
    return found


def _sysctl(path: str, value: str) -> None:
    Path("/proc/sys/net", path).write_text(value)


class DynoNetwork:
    def __init__(self, cidr: str, tag: str, allowed_ports: tuple[int, ...] = ()) -> None:
        try:
            self.network = ipaddress.IPv4Network(cidr)
        except ValueError as error:
            raise NetworkError(f"SEAWAY_DYNO_NETWORK must be an IPv4 network like 10.213.0.0/16, got {cidr!r} "
                               f"({error}).") from None
        if self.network.prefixlen > 28:
            raise NetworkError(f"SEAWAY_DYNO_NETWORK {cidr} is too small: give a /28 or larger (e.g. 10.213.0.0/16).")
        self.tag = tag
        self.service_address = str(self.network.network_address + 1)
        self.allowed_ports = allowed_ports  # host ports sandboxes may reach on the host (PostgreSQL, the router)
        self.nat = shutil.which("nft") is not None
        self.nat_problem = "" if self.nat else "nft (nftables) is not installed (apt-get install nftables)"
        self._free = list(range(self.network.num_addresses // 4 - 1, 0, -1))  # slot 0 holds the service address
        self._lock = threading.Lock()
        self._table = f"seaway_{tag}"
        self._label = f"lo:{tag}"  # the service address's label on lo: whose it is
        self._ready: list[Lease] = []  # made in advance, never used
        self._refiller: threading.Thread | None = None
        self._stopping = False
        self._stopped = threading.Event()
        self._kept: dict[int, Lease] = {}  # slot -> lease taken over from a previous daemon, still in use

    # -- the host side, once per daemon ------------------------------------------------
    def start(self, keep: list[Lease] | None = None) -> None:
        """`keep`: leases a previous daemon gave to sandboxes that still run: they stay as they are."""
        self._stopping = False
        self._stopped.clear()
        for lease in keep or ():
            self.keep(lease)
        self._check_unused()
        self.reap()
        self._claim_service_address()
        if self.nat:
            self._install_rules()
        self._reuse_time_wait_ports()

    @staticmethod
    def _reuse_time_wait_ports() -> None:
        """The router opens a connection to a dyno per request (gunicorn's sync workers close each one).
        Over loopback, Linux's default (tcp_tw_reuse=2) reuses ports in TIME_WAIT; over the veth pairs
        it would not, and the router would run out of ports at ~470 new connections a second (28 000
        ports, 60 s each): measured, 4 000 req/s fell to 230. 1 extends that reuse (safe: it needs TCP
        timestamps) to every connection; an operator's own choice (0 or 1) is left alone."""
        path = Path("/proc/sys/net/ipv4/tcp_tw_reuse")
        if path.exists() and path.read_text().strip() == "2":
            path.write_text("1")

    def _check_unused(self) -> None:
        """Refuse a network that overlaps one of the host's (other than a Seaway network of this daemon's:
        its links, and its service address on lo, labelled with its tag or left by a version before labels)."""
        for interface, address, label in _addresses():
            ours = interface.startswith(f"sw{self.tag}") or (
                interface == "lo" and str(address.ip) == self.service_address and label in (self._label, "lo"))
            if not ours and address.network.overlaps(self.network):
                holder = f" (another Seaway daemon's: {label})" if label.startswith("lo:") else ""
                raise NetworkError(f"The dyno network {self.network} overlaps {address} on {interface}{holder}. Choose "
                                   "another with SEAWAY_DYNO_NETWORK (each Seaway daemon on a host needs its own).")

    def _claim_service_address(self) -> None:
        """The service address on lo, labelled lo:TAG, so that no other daemon's stop takes it away (an
        unlabelled one, from a version before labels, is labelled now)."""
        address = f"{self.service_address}/32"
        if any(label == "lo" and str(found.ip) == self.service_address for _i, found, label in _addresses()):
            _ip("addr", "del", address, "dev", "lo", "label", "lo", check=False)
        added = _ip("addr", "add", address, "dev", "lo", "label", self._label, check=False)
        if added.returncode != 0 and not ("exists" in added.stderr or "already assigned" in added.stderr):
            raise NetworkError(f"Adding the service address {self.service_address} to lo failed: {added.stderr.strip()}")

    def _install_rules(self) -> None:
        net = str(self.network)
        # Forwarding is turned on for the sandboxes' outbound traffic; if it was off, it stays off for the rest
        # (traffic to or from no sandbox's link: every Seaway daemon's links are named sw...).
        was_off = Path("/proc/sys/net/ipv4/ip_forward").read_text().strip() == "0"
        others = '        iifname != "sw*" oifname != "sw*" drop\n' if was_off else ""
        ports = ", ".join(str(p) for p in self.allowed_ports) or "0"
        rules = f"""
table ip {self._table} {{
    chain forward {{
        type filter hook forward priority 0; policy accept;
        ip saddr {net} ip daddr {net} drop
        ip saddr {net} ip daddr 169.254.0.0/16 drop
        ip saddr {net} accept
        ip daddr {net} ct state established,related accept
        ip daddr {net} drop
{others}    }}
    chain input {{
        type filter hook input priority 0; policy accept;
        ip saddr {net} ct state established,related accept
        ip saddr {net} tcp dport {{ {ports} }} accept
        ip saddr {net} drop
    }}
    chain postrouting {{
        type nat hook postrouting priority 100; policy accept;
        ip saddr {net} ip daddr != {net} masquerade
    }}
}}
"""
        # One transaction: the table is replaced whole, never missing (dynos a restarted daemon keeps
        # stay behind NAT and filters throughout).
        rules = f"table ip {self._table} {{}}\ndelete table ip {self._table}\n" + rules
        result = subprocess.run(["nft", "-f", "-"], input=rules, capture_output=True, text=True)
        if result.returncode != 0:  # no NAT then: sandboxes reach nothing past the host (see warnings)
            self.nat = False
            self.nat_problem = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "unknown"
            return
        _sysctl("ipv4/ip_forward", "1")

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            self._stopping = True
            refiller = self._refiller
        if refiller is not None:
            refiller.join(30)
        with self._lock:
            ready, self._ready = self._ready, []
        for lease in ready:
            self.release(lease)
        with self._lock:
            self._kept.clear()  # a stop takes everything down
        self.reap()
        if self.nat:
            subprocess.run(["nft", "delete", "table", "ip", self._table], capture_output=True)
        _ip("addr", "del", f"{self.service_address}/32", "dev", "lo", "label", self._label, check=False)

    def keep(self, lease: Lease) -> None:
        """A lease a previous daemon made, in use by a sandbox this daemon takes back: not reaped, not given."""
        with self._lock:
            self._kept[lease.slot] = lease
            if lease.slot in self._free:
                self._free.remove(lease.slot)

    def reap(self) -> int:
        """Remove namespaces and links of this daemon's that a killed daemon left behind (but kept leases)."""
        with self._lock:
            links = {lease.host_interface for lease in self._kept.values()}
            namespaces = {lease.netns for lease in self._kept.values()}
        count = 0
        for line in _ip("-o", "link", "show", check=False).stdout.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            if name.startswith(f"sw{self.tag}") and name not in links:
                _ip("link", "del", name, check=False)
                count += 1
        for path in NETNS_DIR.glob(f"sw{self.tag}-*") if NETNS_DIR.is_dir() else []:
            if path.name not in namespaces:
                _ip("netns", "del", path.name, check=False)
        return count

    # -- one sandbox -------------------------------------------------------------------
    def lease(self) -> Lease:
        """A fresh network for one sandbox: one made in advance if there is one (a dyno's start then does
        not wait for `ip`), else one made now. Each is used by one sandbox only, and deleted after."""
        with self._lock:
            lease = self._ready.pop() if self._ready else None
        self._refill()
        return lease or self._new()

    def fill(self) -> None:
        """Make the networks to keep in advance (in the background)."""
        self._refill()

    def _refill(self) -> None:
        with self._lock:
            if self._stopping or (self._refiller is not None and self._refiller.is_alive()):
                return
            self._refiller = threading.Thread(target=self._make_ready, daemon=True, name="netns-pool")
            self._refiller.start()

    def _make_ready(self) -> None:
        if self._stopped.wait(REFILL_DELAY):  # not while the dyno that took one boots
            return
        while True:
            with self._lock:
                if self._stopping or len(self._ready) >= READY or len(self._free) <= READY:
                    return
            try:
                lease = self._new()
            except (NetworkError, OSError):
                return  # made on demand then, where the error reaches someone
            with self._lock:
                if self._stopping:
                    keep = False
                else:
                    self._ready.append(lease)
                    keep = True
            if not keep:
                self.release(lease)
                return

    def _new(self) -> Lease:
        with self._lock:
            if not self._free:
                raise NetworkError(f"The dyno network {self.network} has no room for another dyno; "
                                   "give a larger one with SEAWAY_DYNO_NETWORK.")
            slot = self._free.pop()
        base = self.network.network_address + 4 * slot
        lease = Lease(slot, f"sw{self.tag}-{slot}", f"sw{self.tag}{slot}", str(base + 1), str(base + 2))
        try:
            self._create(lease)
        except (NetworkError, OSError):
            self.release(lease)
            raise
        return lease

    def _create(self, lease: Lease) -> None:
        host = lease.host_interface
        _ip(batch=f"netns add {lease.netns}\n"
                  f"link add {host} type veth peer name {INSIDE_INTERFACE} netns {lease.netns}\n"
                  f"addr add {lease.gateway}/30 dev {host}\nlink set {host} up\n")
        _sysctl(f"ipv6/conf/{host}/disable_ipv6", "1")  # no link-local way to the host's IPv6 services
        _sysctl(f"ipv4/conf/{host}/forwarding", "1" if self.nat else "0")  # no way past the host without NAT rules
        _ip("-n", lease.netns, batch=f"addr add {lease.address}/30 dev {INSIDE_INTERFACE}\n"
                                     f"link set {INSIDE_INTERFACE} up\nlink set lo up\n"
                                     f"route add default via {lease.gateway}\n")

    def release(self, lease: Lease) -> None:
        _ip("-force", batch=f"link del {lease.host_interface}\nnetns del {lease.netns}\n", check=False)
        with self._lock:
            self._kept.pop(lease.slot, None)
            if lease.slot not in self._free:
                self._free.append(lease.slot)
