"""Turning a process's raw output into log lines: bounded in length, always valid UTF-8."""

from __future__ import annotations

MAX_LINE_BYTES = 10_000


def _cut(data: bytes, limit: int) -> int:
    """The largest cut at or before `limit` that does not split a UTF-8 character."""
    cut = limit
    while cut > limit - 4 and cut > 0 and (data[cut] & 0xC0) == 0x80:
        cut -= 1
    return cut if cut > limit - 4 and cut > 0 else limit


def split_long(data: bytes, limit: int = MAX_LINE_BYTES) -> list[bytes]:
    """One line of bytes as pieces of at most `limit` bytes, cut between characters where possible."""
    pieces = []
    while len(data) > limit:
        cut = _cut(data, limit)
        pieces.append(data[:cut])
        data = data[cut:]
    pieces.append(data)
    return pieces


def decode(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").rstrip("\r")


def split_text(message: str) -> list[str]:
    """A message written by the platform (may span lines) as log lines of bounded length."""
    lines = message.rstrip("\n").split("\n") if message else [""]
    if all(len(line) <= MAX_LINE_BYTES // 4 for line in lines):
        return lines
    return [decode(piece) for line in lines for piece in split_long(line.encode("utf-8", errors="replace"))]


class LineSplitter:
    """Feed it chunks of output as they come; it hands back the complete lines.

    A partial line waits for the rest, but never grows past MAX_LINE_BYTES: a process printing
    without newlines gets its output split, not buffered without end."""

    def __init__(self, limit: int = MAX_LINE_BYTES) -> None:
        self.limit = limit
        self._partial = b""

    def feed(self, data: bytes) -> list[bytes]:
        *complete, self._partial = (self._partial + data).split(b"\n")
        complete = [line[:-1] if line.endswith(b"\r") else line for line in complete]
        lines = [piece for line in complete for piece in (split_long(line, self.limit) if len(line) > self.limit else (line,))]
        if len(self._partial) > self.limit:
            *full, self._partial = split_long(self._partial, self.limit)
            lines.extend(full)
        return lines

    def discard(self, data: bytes) -> int:
        """Take `data` without keeping its lines; how many lines that was."""
        ended = data.count(b"\n")
        self._partial = data[data.rfind(b"\n") + 1:] if ended else self._partial + data
        if len(self._partial) > self.limit:
            self._partial, ended = b"", ended + 1
        return ended

    def flush(self) -> list[bytes]:
        """What is left when the output ends without a final newline."""
        rest, self._partial = self._partial, b""
        return [rest] if rest else []
