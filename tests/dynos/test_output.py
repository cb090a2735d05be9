"""dynos.output: LineOutput (line by line) and TerminalOutput (text as it comes), fed raw chunks."""

from __future__ import annotations

import pytest

from seaway.dynos.output import LineOutput, TerminalOutput
from seaway.logs.lines import MAX_LINE_BYTES

TEXT = "plain ascii\nünïcödé\n€uro and 😀 emoji\r\nlast line without newline"


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


# -- LineOutput -------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 2, 3, 5, 1000])
def test_line_output_whatever_the_chunks(size: int):
    lines: list[str] = []
    output = LineOutput(lines.append)
    for chunk in chunks(TEXT.encode(), size):
        output.feed(chunk)
    assert lines == ["plain ascii", "ünïcödé", "€uro and 😀 emoji"]
    output.close()
    assert lines[-1] == "last line without newline"


def test_line_output_character_split_across_chunks():
    lines: list[str] = []
    output = LineOutput(lines.append)
    output.feed(b"caf\xc3")
    assert lines == []
    output.feed(b"\xa9\n")
    assert lines == ["café"]


def test_line_output_bad_bytes_and_long_lines():
    lines: list[str] = []
    output = LineOutput(lines.append)
    output.feed(b"bad \xff byte\n" + b"x" * 15_000 + b"\n")
    output.feed(b"\xe2\x82")  # a character cut short by the end of the output
    output.close()
    assert lines == ["bad \ufffd byte", "x" * MAX_LINE_BYTES, "x" * 5_000, "\ufffd"]


def test_line_output_close_without_a_partial_line_says_nothing():
    lines: list[str] = []
    output = LineOutput(lines.append)
    output.feed(b"done\n")
    output.close()
    assert lines == ["done"]


# -- TerminalOutput ---------------------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 2, 3, 5, 1000])
def test_terminal_output_decodes_characters_split_across_chunks(size: int):
    texts: list[str] = []
    output = TerminalOutput(texts.append)
    for chunk in chunks(TEXT.encode(), size):
        output.feed(chunk)
    output.close()
    assert "".join(texts) == TEXT  # carriage returns and all: it is a terminal
    assert "\ufffd" not in "".join(texts)


def test_terminal_output_hands_on_what_it_can_at_once():
    texts: list[str] = []
    output = TerminalOutput(texts.append)
    output.feed(b"\x1b[1mbold\x1b[0m caf\xc3")
    assert "".join(texts) == "\x1b[1mbold\x1b[0m caf"
    output.feed(b"\xa9")
    assert "".join(texts) == "\x1b[1mbold\x1b[0m café"


def test_terminal_output_bad_bytes_are_replaced():
    texts: list[str] = []
    output = TerminalOutput(texts.append)
    output.feed(b"bad \xff byte")
    output.close()
    assert "".join(texts) == "bad \ufffd byte"


def test_terminal_output_close_reports_a_character_cut_short():
    texts: list[str] = []
    output = TerminalOutput(texts.append)
    output.feed(b"end \xe2\x82")
    output.close()
    assert "".join(texts) == "end \ufffd"


def test_terminal_output_close_with_nothing_pending_says_nothing():
    texts: list[str] = []
    output = TerminalOutput(texts.append)
    output.feed(b"all done")
    calls = len(texts)
    output.close()
    assert len(texts) == calls
