"""lines: raw process output into bounded, valid UTF-8 log lines (split_long, split_text, LineSplitter)."""

from __future__ import annotations

import pytest

from seaway.logs.lines import MAX_LINE_BYTES, LineSplitter, decode, split_long, split_text

EURO = "€".encode()  # 3 bytes
SMILE = "😀".encode()  # 4 bytes


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def clean(piece: bytes) -> str:
    """The piece as text; fails if it starts or ends inside a character."""
    return piece.decode("utf-8")  # strict: raises on a cut character


# -- split_long -------------------------------------------------------------------------------

def test_limit_is_ten_thousand_bytes():
    assert MAX_LINE_BYTES == 10_000


@pytest.mark.parametrize("data", [b"", b"short", b"x" * MAX_LINE_BYTES])
def test_split_long_leaves_lines_up_to_the_limit_alone(data: bytes):
    assert split_long(data) == [data]


def test_split_long_cuts_ascii_at_the_limit():
    assert split_long(b"x" * 25_000) == [b"x" * 10_000, b"x" * 10_000, b"x" * 5_000]
    assert split_long(b"x" * 20_001) == [b"x" * 10_000, b"x" * 10_000, b"x"]


@pytest.mark.parametrize("char", [b"\xc3\xa9", EURO, SMILE], ids=["2-byte", "3-byte", "4-byte"])
@pytest.mark.parametrize("offset", [0, 1, 2, 3])
def test_split_long_never_cuts_a_character(char: bytes, offset: int):
    data = b"a" * offset + char * 9_000  # the limit falls at every position inside a character
    pieces = split_long(data)
    assert b"".join(pieces) == data
    assert len(pieces) > 1
    for piece in pieces:
        assert len(piece) <= MAX_LINE_BYTES
        clean(piece)
    for piece in pieces[:-1]:  # cut as late as possible: at most 3 bytes short of the limit
        assert len(piece) > MAX_LINE_BYTES - len(char)


def test_split_long_with_a_small_limit():
    data = "héllo wörld €€€".encode()
    pieces = split_long(data, limit=4)
    assert b"".join(pieces) == data
    assert all(1 <= len(piece) <= 4 for piece in pieces)
    assert [clean(piece) for piece in pieces] == ["hél", "lo w", "örl", "d ", "€", "€", "€"]


def test_split_long_cuts_at_the_limit_when_there_is_no_character_boundary_near():
    # Not UTF-8 at all (continuation bytes only): it cannot help cutting, and still keeps the bound.
    data = b"\x80" * 25_000
    assert [len(piece) for piece in split_long(data)] == [10_000, 10_000, 5_000]
    # A character wider than the limit must be cut too.
    assert split_long(SMILE, limit=2) == [SMILE[:2], SMILE[2:]]


# -- decode -----------------------------------------------------------------------------------

def test_decode_strips_the_carriage_return_of_a_crlf_line():
    assert decode(b"windows line\r") == "windows line"
    assert decode(b"\r") == ""


def test_decode_replaces_invalid_utf8():
    assert decode(b"bad \xff byte") == "bad \ufffd byte"
    assert decode(b"cut \xe2\x82") == "cut \ufffd"
    assert decode("ünïcödé".encode()) == "ünïcödé"


# -- split_text -------------------------------------------------------------------------------

def test_split_text_short_messages():
    assert split_text("one line") == ["one line"]
    assert split_text("two\nlines\n") == ["two", "lines"]
    assert split_text("keeps\n\nblank lines inside") == ["keeps", "", "blank lines inside"]
    assert split_text("") == [""]


def test_split_text_splits_long_lines_on_the_byte_limit():
    message = "short\n" + "ü" * 7_000 + "\nend"  # 14 000 bytes on the middle line
    lines = split_text(message)
    assert lines[0] == "short" and lines[-1] == "end"
    assert "".join(lines[1:-1]) == "ü" * 7_000
    assert all(len(line.encode()) <= MAX_LINE_BYTES for line in lines)
    assert [len(line.encode()) for line in lines[1:-1]] == [10_000, 4_000]


def test_split_text_a_line_of_many_wide_characters_under_the_character_count():
    # 3 000 characters of 4 bytes: few characters, but 12 000 bytes.
    lines = split_text("😀" * 3_000)
    assert "".join(lines) == "😀" * 3_000
    assert all(len(line.encode()) <= MAX_LINE_BYTES for line in lines)
    assert "\ufffd" not in "".join(lines)


def test_split_text_never_raises_on_lone_surrogates():
    lines = split_text("\ud800" * 4_000)  # not encodable: replaced, not an exception
    assert all(len(line.encode("utf-8", errors="replace")) <= MAX_LINE_BYTES for line in lines)


# -- LineSplitter -----------------------------------------------------------------------------

def test_splitter_hands_back_complete_lines_only():
    splitter = LineSplitter()
    assert splitter.feed(b"one\ntw") == [b"one"]
    assert splitter.feed(b"o") == []
    assert splitter.feed(b"\nthree\nfour\n") == [b"two", b"three", b"four"]
    assert splitter.flush() == []


def test_splitter_empty_lines_are_lines():
    assert LineSplitter().feed(b"\n\na\n") == [b"", b"", b"a"]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 4096])
def test_splitter_gives_the_same_lines_whatever_the_chunks(size: int):
    text = "line one\nzwei ü\n€ drei\r\n\n" + "😀" * 3_000 + "\nno newline at the end"
    splitter = LineSplitter()
    lines = [line for chunk in chunks(text.encode(), size) for line in splitter.feed(chunk)]
    lines += splitter.flush()
    assert [decode(line) for line in lines[:4]] == ["line one", "zwei ü", "€ drei", ""]
    assert "".join(decode(line) for line in lines[4:-1]) == "😀" * 3_000
    assert decode(lines[-1]) == "no newline at the end"
    for line in lines:
        assert len(line) <= MAX_LINE_BYTES
        clean(line)


def test_splitter_utf8_character_across_two_chunks():
    splitter = LineSplitter()
    assert splitter.feed(b"caf\xc3") == []
    assert [decode(line) for line in splitter.feed(b"\xa9\n")] == ["café"]


def test_splitter_output_without_newlines_is_split_at_the_limit_and_memory_stays_bounded():
    splitter = LineSplitter()
    fed = given = 0
    for chunk in chunks(b"y" * 1_000_000, 4096):
        fed += len(chunk)
        pieces = splitter.feed(chunk)
        assert all(piece == b"y" * MAX_LINE_BYTES for piece in pieces)
        given += sum(len(piece) for piece in pieces)
        assert fed - given <= MAX_LINE_BYTES  # what it still holds
    assert given == 990_000  # 99 full pieces; the 100th waits for more (or for the end)
    assert splitter.flush() == [b"y" * MAX_LINE_BYTES]


def test_splitter_long_line_in_one_chunk():
    lines = LineSplitter().feed(b"x" * 25_000 + b"\nshort\n")
    assert lines == [b"x" * 10_000, b"x" * 10_000, b"x" * 5_000, b"short"]


def test_splitter_long_multibyte_line_without_newline_is_cut_between_characters():
    splitter = LineSplitter()
    data = b"a" + EURO * 10_000  # 30 001 bytes; every cut lands inside a character unless moved
    pieces = [piece for chunk in chunks(data, 999) for piece in splitter.feed(chunk)] + splitter.flush()
    assert b"".join(pieces) == data
    for piece in pieces:
        assert len(piece) <= MAX_LINE_BYTES
        clean(piece)


def test_splitter_custom_limit():
    splitter = LineSplitter(limit=5)
    assert splitter.feed(b"abcdefghijkl") == [b"abcde", b"fghij"]
    assert splitter.feed(b"\n") == [b"kl"]


def test_splitter_crlf_lines_decode_without_the_carriage_return():
    splitter = LineSplitter()
    lines = splitter.feed(b"first\r\nsecond\r") + splitter.feed(b"\nthird\r\n")
    assert [decode(line) for line in lines] == ["first", "second", "third"]


def test_splitter_crlf_line_at_exactly_the_limit_is_one_line():
    splitter = LineSplitter()
    lines = splitter.feed(b"x" * MAX_LINE_BYTES + b"\r\n")
    assert [decode(line) for line in lines] == ["x" * MAX_LINE_BYTES]


def test_splitter_invalid_utf8_never_raises():
    splitter = LineSplitter()
    lines = splitter.feed(b"\xff\xfe bad\n\xc3\n\xe2\x82\n") + splitter.feed(b"\x80" * 12_000) + splitter.flush()
    assert [decode(line) for line in lines[:3]] == ["\ufffd\ufffd bad", "\ufffd", "\ufffd"]
    assert sum(len(line) for line in lines[3:]) == 12_000


def test_splitter_flush_returns_the_partial_line_once():
    splitter = LineSplitter()
    assert splitter.feed(b"done\nalmost") == [b"done"]
    assert splitter.flush() == [b"almost"]
    assert splitter.flush() == []
    assert splitter.feed(b"fresh\n") == [b"fresh"]  # nothing of the old partial line is left


# -- LineSplitter.discard ---------------------------------------------------------------------

def test_discard_counts_the_lines_it_drops():
    splitter = LineSplitter()
    assert splitter.discard(b"a\nb\nc\n") == 3
    assert splitter.discard(b"") == 0
    assert splitter.discard(b"no newline") == 0
    assert splitter.discard(b" yet\n") == 1  # the line began in the chunk before: still one line


def test_discard_keeps_the_partial_line_for_the_next_feed():
    splitter = LineSplitter()
    assert splitter.discard(b"dropped\nkep") == 1
    assert splitter.feed(b"t\n") == [b"kept"]


def test_feed_then_discard_drops_the_line_in_progress():
    splitter = LineSplitter()
    assert splitter.feed(b"whole\npart") == [b"whole"]
    assert splitter.discard(b"ial\nnext") == 1
    assert splitter.feed(b" one\n") == [b"next one"]


def test_discard_memory_stays_bounded_without_newlines():
    splitter = LineSplitter()
    dropped = sum(splitter.discard(chunk) for chunk in chunks(b"z" * 1_000_000, 4096))
    assert 50 <= dropped <= 100  # about the 100 pieces it would have made, not one line held whole
    (line,) = splitter.feed(b"end\n")
    assert line.endswith(b"zend") and len(line) <= MAX_LINE_BYTES
