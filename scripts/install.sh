#!/usr/bin/env bash
# Installs what Seaway needs on a Debian/Ubuntu host (nginx, PostgreSQL server binaries, openssl,
# acl, git, and for the dyno sandboxes tini, iproute2 and nftables) where missing, then the seaway
# package into .venv. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v setfacl >/dev/null 2>&1 || missing+=(acl)
command -v git >/dev/null 2>&1 || missing+=(git)
[ -x /usr/bin/tini ] || missing+=(tini)                      # each sandbox's init
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || missing+=(iproute2)  # each sandbox's network
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || missing+=(nftables)  # their NAT and firewall
if [[ "${SEAWAY_INSTALL_TARGET:-}" == *test* ]]; then  # the suite's own: a real ACME server, curl, and a browser
    command -v pebble >/dev/null 2>&1 || missing+=(pebble)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    [ -x /usr/bin/chromium ] || missing+=(chromium)  # Playwright drives it (tests/e2e/browser.py), never its own
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "-----> Installing system packages: ${missing[*]}"
    # Seaway runs its own cluster: don't let the package create and start a system-wide one.
    if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
        as_root mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.conf >/dev/null
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" </dev/null >/dev/null
fi

python=""
for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python=$candidate
        break
    fi
done
if [ -z "$python" ]; then
    echo "Seaway needs Python 3.11 or newer; install it (apt-get install python3) and run this again." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "-----> Creating .venv with $("$python" --version)"
    "$python" -m venv .venv
fi
echo "-----> Installing seaway into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e "${SEAWAY_INSTALL_TARGET:-.}"
echo "-----> Installed: $(.venv/bin/seaway --version)"
