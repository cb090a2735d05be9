"""The proc-receive hook: pkt-lines as git writes them, and a start light enough for every push."""

from __future__ import annotations

import io
import subprocess
import sys

from seaway.git_remote.proc_receive import read_packet, receive, write_packet


def test_packets_round_trip_and_a_flush_reads_as_none():
    stream = io.BytesIO()
    write_packet(stream, "version=1\0")
    write_packet(stream, None)
    assert stream.getvalue() == b"000eversion=1\x000000"
    stream.seek(0)
    assert read_packet(stream) == b"version=1\0" and read_packet(stream) is None


def test_only_main_or_master_deploys():
    answer = receive("app", "0" * 40, "1" * 40, "refs/heads/feature")
    assert answer == "ng refs/heads/feature only main or master deploys: git push seaway feature:main"


def test_the_hook_imports_only_the_standard_library():
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import seaway.git_remote.proc_receive"],
                          capture_output=True, text=True, check=True)
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert not {"httpx", "sqlalchemy", "seaway.store", "seaway.slugs"} & imported, sorted(imported)
