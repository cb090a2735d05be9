"""A dyno's keeper: the small process that is the dyno's parent, so the dyno outlives the daemon.

Run as a script (`python -I -S keeper.py FOLDER FD`, never imported by the daemon): it imports only
modules built into the interpreter, because every dyno start waits for it. The daemon hands it, on
the connected socket FD, what to run (marshal: argv, cwd, env, uid, gid, groups, descriptors to pass
on); the keeper starts it in a session of its own with stdout and stderr on a pipe the keeper reads,
and listens on FOLDER/sock for a later daemon.

To the daemon attached (the first one, then whoever connects to the socket) it sends frames, a type
byte, a 4-byte length and the payload:
  S  marshal {"pid", "identity", "dropped"}: the dyno's process; lines dropped while nobody read them
  O  output, as it came
  D  marshal {"dropped"}: lines dropped while the daemon attached read slower than the dyno printed
  X  marshal {"code"}: the dyno's process exited (Popen's convention: -N for signal N)
  E  the output has ended
With no daemon attached (or one that does not read), output is held up to LIMIT bytes, then dropped
and counted. The keeper never makes the dyno wait.

When the dyno's process exits the keeper kills what it left in its process group, records the status
in FOLDER/exit, and keeps the exited process unreaped (a zombie: its pid cannot be given to another
process) until the attached daemon closes the connection, so the daemon can signal the dyno's pid and
group without ever reaching a stranger. Stopping a dyno is the daemon's business (SIGTERM, SIGKILL
after the stop timeout, through its sandbox); the keeper only reports.
"""

import _signal
import _socket
import marshal
import os
import select
import sys
import time

LIMIT = 4 << 20  # bytes of output held for a daemon that is not reading
DRAIN = 5.0  # seconds to wait for the rest of the output once the process exited
LINGER = 30.0  # seconds to wait for the attached daemon to acknowledge the end
CHUNK = 65536


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload


def identity(pid: int) -> str:
    """As seaway.host.process_identity: the boot's id and the process's start time."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip()
        with open(f"/proc/{pid}/stat", "rb") as f:
            started = f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""
    return f"{boot}/{started}"


def write_atomically(path: str, text: str) -> None:
    temporary = path + ".tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, text.encode())  # no fsync: the record matters only while this boot lasts
    finally:
        os.close(fd)
    os.replace(temporary, path)


def receive_exactly(sock: "_socket.socket", size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("the daemon closed the connection before saying what to run")
        data += chunk
    return data


def spawn(what: dict) -> tuple[int, int]:
    """Start the dyno's process in a session of its own; its pid and the read end of its output pipe."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()  # close-on-exec: says why the exec failed, or closes on success
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(out_w, 1)
            os.dup2(out_w, 2)
            for fd in what["fds"]:
                os.set_inheritable(fd, True)
            for signum in (_signal.SIGPIPE, _signal.SIGXFSZ, _signal.SIGCHLD):  # as subprocess restores them
                _signal.signal(signum, _signal.SIG_DFL)
            if what["uid"] is not None:
                os.setgroups(what["groups"])
                os.setgid(what["gid"])
                os.setuid(what["uid"])
            os.chdir(what["cwd"])
            os.execve(what["argv"][0], what["argv"], what["env"])
        except BaseException as error:  # noqa: BLE001 - anything: the parent must learn why
            os.write(err_w, f"{getattr(error, 'errno', 0) or 0}:{error}".encode()[:1000])
        finally:
            os._exit(127)
    os.close(out_w)
    os.close(err_w)
    failure = os.read(err_r, 1000)
    os.close(err_r)
    if failure:
        os.waitpid(pid, 0)
        os.close(out_r)
        raise OSError(int(failure.split(b":", 1)[0] or 0), failure.split(b":", 1)[-1].decode(errors="replace"))
    return pid, out_r


class Keeper:
    def __init__(self, folder: str, control: "_socket.socket") -> None:
        self.folder = folder
        self.client: _socket.socket | None = None
        self.pending: list[bytes] = []  # frames for the daemon; pending[0] may be partly sent
        self.sent = 0  # bytes of pending[0] already sent
        self.held = 0  # bytes of output frames in pending
        self.dropped = 0  # lines dropped since a daemon last read
        self.code: int | None = None
        self.pid = 0
        self.pipe: int | None = None
        self.listener: _socket.socket | None = None
        self.control = control

    # -- the daemon's connection -------------------------------------------------------
    def attach(self, client: "_socket.socket") -> None:
        if self.client is not None:
            self.detach()
        client.setblocking(False)
        self.client = client
        started = {"pid": self.pid, "identity": identity(self.pid), "dropped": self.dropped}
        self.dropped = 0
        self.pending.insert(0, frame(b"S", marshal.dumps(started)))

    def detach(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.sent and self.pending:  # a frame half sent is lost with the daemon that took half of it
            first = self.pending.pop(0)
            if first[:1] == b"O":
                self.held -= len(first)
            elif first[:1] in (b"X", b"E"):
                self.pending.insert(0, first)  # never lost: the next daemon must learn it
        self.sent = 0
        self.pending = [f for f in self.pending if f[:1] != b"S"]  # a new one is made at the next attach

    def flush(self) -> None:
        while self.client is not None and self.pending:
            first = self.pending[0]
            try:
                count = self.client.send(first[self.sent:self.sent + CHUNK * 4])
            except BlockingIOError:
                return
            except OSError:
                self.detach()
                return
            self.sent += count
            if self.sent == len(first):
                self.pending.pop(0)
                self.sent = 0
                if first[:1] == b"O":
                    self.held -= len(first)

    def queue_output(self, data: bytes) -> None:
        if self.held + len(data) > LIMIT:
            self.dropped += data.count(b"\n") or 1
            return
        self.report_dropped()
        framed = frame(b"O", data)
        self.pending.append(framed)
        self.held += len(framed)

    def report_dropped(self) -> None:
        """Lines dropped while a daemon is attached (it reads slower than the dyno prints) are told to it."""
        if self.dropped and self.client is not None:
            self.pending.append(frame(b"D", marshal.dumps({"dropped": self.dropped})))
            self.dropped = 0

    # -- the dyno's process ----------------------------------------------------------
    def check_exit(self) -> None:
        if self.code is not None:
            return
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            info = None
        if info is None or info.si_pid == 0:
            return
        self.code = info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
        try:  # what it left in its group (the unreaped process keeps the group's id ours)
            os.killpg(self.pid, _signal.SIGKILL)
        except OSError:
            pass
        write_atomically(os.path.join(self.folder, "exit"), f"{self.code}\n")
        self.report_dropped()
        self.pending.append(frame(b"X", marshal.dumps({"code": self.code})))

    def run(self) -> None:
        what = marshal.loads(receive_exactly(self.control, int.from_bytes(receive_exactly(self.control, 5)[1:], "big")))
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        os.set_blocking(wake_r, False)
        _signal.set_wakeup_fd(wake_w)
        _signal.signal(_signal.SIGCHLD, lambda *_: None)
        try:
            self.pid, self.pipe = spawn(what)
        except OSError as error:
            self.control.sendall(frame(b"F", marshal.dumps({"errno": error.errno or 0, "message": str(error)})))
            raise SystemExit(1) from None
        finally:
            for fd in what["fds"]:
                os.close(fd)
        write_atomically(os.path.join(self.folder, "keeper"), f"{os.getpid()} {identity(os.getpid())}\n"
                                                              f"{self.pid} {identity(self.pid)}\n")
        sock = os.path.join(self.folder, "sock")
        if os.path.exists(sock):
            os.unlink(sock)
        self.listener = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        folder = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:  # through the folder's descriptor: a socket's path is limited to 107 bytes, the folder's is not
            self.listener.bind(f"/proc/self/fd/{folder}/sock")
        finally:
            os.close(folder)
        os.chmod(sock, 0o600)
        self.listener.listen(4)
        self.listener.setblocking(False)
        self.attach(self.control)
        self.loop(wake_r)
        os.waitpid(self.pid, 0)  # only now may its pid be another's
        os.unlink(sock)

    def loop(self, wake_r: int) -> None:
        poller = select.poll()
        poller.register(wake_r, select.POLLIN)
        poller.register(self.listener.fileno(), select.POLLIN)  # type: ignore[union-attr]
        poller.register(self.pipe, select.POLLIN)
        exit_seen: float | None = None  # monotonic time the exit was seen
        ended_at: float | None = None  # ... and both the exit and the end of the output
        while True:
            self.flush()
            now = time.monotonic()
            if self.code is not None and exit_seen is None:
                exit_seen = now
            if self.pipe is not None and exit_seen is not None and now - exit_seen >= DRAIN:
                self._close_pipe(poller)  # a process that escaped its group holds the pipe: stop reading
            if self.pipe is None and self.code is not None and ended_at is None:
                ended_at = now
                self.pending.append(frame(b"E"))
                self.flush()
            if ended_at is not None and (self.client is None or now - ended_at >= LINGER):
                return
            client = self.client
            if client is not None:
                poller.register(client.fileno(), select.POLLIN | (select.POLLOUT if self.pending else 0))
            events = poller.poll(1000 if exit_seen is None else 100)
            if client is not None:
                poller.unregister(client.fileno())
            for fd, event in events:
                if fd == wake_r:
                    try:
                        while os.read(wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                elif self.pipe is not None and fd == self.pipe:
                    data = os.read(self.pipe, CHUNK) if event & (select.POLLIN | select.POLLHUP) else b""
                    if data:
                        self.queue_output(data)
                    else:  # every writer closed it (the process may still run: it is watched apart)
                        self._close_pipe(poller)
                elif self.listener is not None and fd == self.listener.fileno():
                    try:
                        accepted, _address = self.listener._accept()
                    except BlockingIOError:
                        continue
                    self.attach(_socket.socket(fileno=accepted))
                elif client is not None and fd == client.fileno() and self.client is client:
                    if event & (select.POLLIN | select.POLLHUP | select.POLLERR):
                        try:
                            gone = not client.recv(4096)
                        except BlockingIOError:
                            gone = False
                        except OSError:
                            gone = True
                        if gone:
                            self.detach()
            self.check_exit()

    def _close_pipe(self, poller: "select.poll") -> None:
        if self.pipe is not None:
            poller.unregister(self.pipe)
            os.close(self.pipe)
            self.pipe = None


def main(argv: list[str]) -> None:
    folder, fd = argv[1], int(argv[2])
    os.set_inheritable(fd, False)
    control = _socket.socket(fileno=fd)
    Keeper(folder, control).run()


if __name__ == "__main__":
    main(sys.argv)
