"""Where a dyno's output goes: anything with `feed(bytes)` and `close()` (see backend.Output)."""

from __future__ import annotations

import codecs
from collections.abc import Callable

from seaway.logs.lines import LineSplitter, decode


class LineOutput:
    """Output handed on line by line (a one-off's output, collected by whoever ran it)."""

    def __init__(self, on_line: Callable[[str], None]) -> None:
        self.on_line = on_line
        self.splitter = LineSplitter()

    def feed(self, data: bytes) -> None:
        for line in self.splitter.feed(data):
            self.on_line(decode(line))

    def lost(self, lines: int) -> None:
        pass  # a one-off's output is shown whole or not at all: the keeper holds it for the reader

    def close(self) -> None:
        for line in self.splitter.flush():
            self.on_line(decode(line))


class TerminalOutput:
    """A terminal's output as text, chunk by chunk as it comes (`run` on a pseudo-terminal)."""

    def __init__(self, on_text: Callable[[str], None]) -> None:
        self.on_text = on_text
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, data: bytes) -> None:
        self.on_text(self.decoder.decode(data))

    def lost(self, lines: int) -> None:
        pass  # a one-off's output is shown whole or not at all: the keeper holds it for the reader

    def close(self) -> None:
        rest = self.decoder.decode(b"", final=True)
        if rest:
            self.on_text(rest)
