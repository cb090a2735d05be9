"""One attack per call, from inside a dyno; prints a line per attempt: `OK what` or `FAILED what: why`.

    python3 attack.py bind PORT...          bind 127.0.0.1, 0.0.0.0 and [::1] on each port
    python3 attack.py hijack PORT SECONDS   serve HIJACKED on 0.0.0.0:PORT meanwhile
    python3 attack.py connect HOST:PORT...  connect, send a request with forged X-Forwarded-For
    python3 attack.py write PATH...         create PATH (or PATH/evil.pth in a folder) and write into it
    python3 attack.py read PATH...          read a file
"""
import glob
import os
import socket
import sys
import threading
import time


def attempt(what, action):
    try:
        result = action()
        print(f"OK {what}" + (f": {result}" if result else ""), flush=True)
    except Exception as error:  # noqa: BLE001 - every failure is an answer
        print(f"FAILED {what}: {error}", flush=True)


def bind(port, family, host):
    s = socket.socket(family)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen()
    return s


def serve_hijacked(listener, until):
    listener.settimeout(0.5)
    while time.monotonic() < until:
        try:
            conn, _ = listener.accept()
        except OSError:
            continue
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nHIJACKED\n")
        conn.close()


def connect(target):
    host, port = target.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=3) as s:
        s.sendall(b"GET /headers HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.1\r\nConnection: close\r\n\r\n")
        return s.recv(200).split(b"\r\n")[0].decode()


def write(path):
    paths = glob.glob(path) or [path]
    for target in paths:
        if os.path.isdir(target):
            target = os.path.join(target, "evil.pth")
        with open(target, "a") as f:
            f.write("import sys; sys.stderr.write('POISONED\\n')\n")
    return ", ".join(paths)


def main(command, *args):
    if command == "bind":
        held = []
        for port in map(int, args):
            for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::1")):
                attempt(f"bind {host}:{port}", lambda p=port, f=family, h=host: held.append(bind(p, f, h)))
    elif command == "hijack":
        port, seconds = int(args[0]), float(args[1])
        until = time.monotonic() + seconds
        listener = []
        attempt(f"hijack 0.0.0.0:{port}", lambda: listener.append(bind(port, socket.AF_INET, "0.0.0.0")))
        if listener:
            threading.Thread(target=serve_hijacked, args=(listener[0], until), daemon=True).start()
        time.sleep(max(0.0, until - time.monotonic()))
    elif command == "connect":
        for target in args:
            attempt(f"connect {target}", lambda t=target: connect(t))
    elif command == "write":
        for path in args:
            attempt(f"write {path}", lambda p=path: write(p))
    elif command == "read":
        for path in args:
            attempt(f"read {path}", lambda p=path: open(p).read(100))


if __name__ == "__main__":
    main(*sys.argv[1:])
