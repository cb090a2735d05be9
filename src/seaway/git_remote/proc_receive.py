"""git's proc-receive hook for the app repositories (run by receive-pack, never imported by the daemon;
the standard library only, as it starts on every push).

receive-pack hands it the pushed refs (pkt-lines on stdin) once the objects are stored; for main or
master it asks the daemon's API to deploy the pushed commit, its output going to stderr (the pusher
sees `remote: ` lines), and lets the ref move only when the deploy succeeded. Its answers (stdout) become
git's `ok` (receive-pack then moves the ref) or `! [remote rejected] main -> main (build failed)`.
"""

from __future__ import annotations

import fcntl
import http.client
import json
import os
import subprocess
import sys
from typing import BinaryIO
from urllib.parse import urlsplit

ZERO = "0" * 40
DEPLOYED_BRANCHES = ("refs/heads/main", "refs/heads/master")


def read_packet(stream: BinaryIO) -> bytes | None:
    """One pkt-line's payload, or None for a flush packet."""
    size = int(stream.read(4), 16)
    return None if size == 0 else stream.read(size - 4)


def write_packet(stream: BinaryIO, text: str | None) -> None:
    if text is None:
        stream.write(b"0000")
        stream.flush()
        return
    payload = text.encode()
    stream.write(b"%04x" % (len(payload) + 4) + payload)


def say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _open_api(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    return kind(parts.hostname or "127.0.0.1", parts.port, timeout=None)  # a deploy takes what it takes


def deploy(app: str, sha: str) -> str | None:
    """Deploy `sha` through the API, streaming its output; None when it succeeded, else why not."""
    headers = {"Authorization": f"Bearer {os.environ['SEAWAY_API_TOKEN']}", "Content-Type": "application/json",
               "X-Seaway-Author": os.environ.get("SEAWAY_AUTHOR", "git push")}
    api = _open_api(os.environ["SEAWAY_API_URL"])
    try:
        api.request("POST", f"/apps/{app}/builds/git", body=json.dumps({"commit": sha}), headers=headers)
        response = api.getresponse()
        if response.status >= 300:
            body = response.read().decode(errors="replace")
            try:
                say(f" !     {json.loads(body).get('detail', body)}")
            except ValueError:
                say(f" !     {body}")
            return "deploy refused"
        for raw in response:
            if not raw.strip():
                continue
            event = json.loads(raw)
            if "line" in event:
                say(event["line"])
            elif "error" in event:
                say(f" !     {event['error']}")
                return f"{event.get('failed', 'deploy')} failed"
            else:
                return None
    finally:
        api.close()
    return "the deploy's stream ended early; see `seaway releases`"


def _ref_value(ref: str) -> str:
    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", ref], capture_output=True, text=True)
    return found.stdout.strip() or ZERO


HOLD = """
import subprocess, sys, time
for _ in range(300):
    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", sys.argv[1]], capture_output=True, text=True)
    if (found.stdout.strip() or "0" * 40) != sys.argv[3]:
        break
    time.sleep(0.1)
"""


def hold_until_moved(lock_fd: int, ref: str, new: str) -> None:
    """Keep the push lock (a child inherits it) until receive-pack has moved `ref` (to `new`) after we
    exit, or 30 s: the next push of the app then sees the ref this deploy made."""
    old = _ref_value(ref)
    subprocess.Popen([sys.executable, "-c", HOLD, ref, new, old], pass_fds=[lock_fd], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def receive(app: str, old: str, new: str, ref: str) -> str:
    """Deploy one pushed ref; the answer for receive-pack (`ok REF` or `ng REF REASON`)."""
    branch = ref.removeprefix("refs/heads/")
    if ref not in DEPLOYED_BRANCHES:
        say(f" !     Only main or master is deployed. Push a branch to main: `git push seaway {branch}:main`")
        return f"ng {ref} only main or master deploys: git push seaway {branch}:main"
    if new == ZERO:
        return f"ng {ref} the deployed branch cannot be deleted"
    with open("seaway-push.lock", "w") as lock:  # receive-pack runs us in the repository
        fcntl.flock(lock, fcntl.LOCK_EX)  # one push of an app at a time, in order
        if _ref_value(ref) != old:
            return f"ng {ref} fetch first: {branch} moved on while you pushed"
        why_not = deploy(app, new)
        if why_not:
            return f"ng {ref} {why_not}"
        subprocess.run(["git", "symbolic-ref", "HEAD", ref], check=True)
        hold_until_moved(lock.fileno(), ref, new)
    # receive-pack moves the ref itself (checking it still holds `old`, and the shallow grafts a shallow
    # clone's push brings: git 2.39 aborts if a proc-receive hook moves such a ref)
    return f"ok {ref}\noption fall-through"


def main() -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    read_packet(stdin)  # version=1 and receive-pack's features: we use none of them
    while read_packet(stdin) is not None:
        pass
    write_packet(stdout, "version=1\0")
    write_packet(stdout, None)
    commands = []
    while (packet := read_packet(stdin)) is not None:
        old, new, ref = packet.decode().strip().split(" ", 2)
        commands.append((old, new, ref))
    app = os.environ["SEAWAY_APP"]
    answers = []
    for old, new, ref in commands:
        try:
            answers.append(receive(app, old, new, ref))
        except Exception as error:  # the pusher gets a reason, not a hung push
            say(f" !     Seaway error while deploying: {error}")
            answers.append(f"ng {ref} Seaway error")
    for answer in answers:
        for line in answer.split("\n"):
            write_packet(stdout, line)
    write_packet(stdout, None)


if __name__ == "__main__":
    main()
