"""A package whose build prints what the build can see and reach, then fails on purpose (so that uv
shows its output): the environment, and whether the platform's API answers."""
import os
import socket
import sys

for key in sorted(os.environ):
    print(f"BUILD-ENV {key}={os.environ[key]}", file=sys.stderr)
for target in os.environ.get("PROBE_TARGETS", "").split():
    host, port = target.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
        print(f"BUILD-REACHED {target}", file=sys.stderr)
    except OSError as error:
        print(f"BUILD-UNREACHABLE {target} {error}", file=sys.stderr)
sys.exit("envprobe: failing on purpose after the probe")
