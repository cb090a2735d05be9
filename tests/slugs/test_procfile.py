"""parse_procfile: `name: command` lines, comments, blank lines, the first colon splits."""

from __future__ import annotations

import pytest

from seaway.slugs.errors import BuildError
from seaway.slugs.procfile import parse_procfile


def test_single_web_line():
    assert parse_procfile("web: gunicorn app:app\n") == {"web": "gunicorn app:app"}


def test_first_colon_splits_and_later_colons_stay_in_the_command():
    processes = parse_procfile("web: gunicorn -b :$PORT app:app")
    assert processes == {"web": "gunicorn -b :$PORT app:app"}


def test_comments_and_blank_lines_are_skipped():
    text = "# the web process\n\n   \nweb: gunicorn app:app\n  # indented comment\nworker: python worker.py\n\n"
    assert parse_procfile(text) == {"web": "gunicorn app:app", "worker": "python worker.py"}


def test_whitespace_around_name_and_command_is_stripped():
    assert parse_procfile("  web   :   gunicorn app:app   \n") == {"web": "gunicorn app:app"}


def test_crlf_line_endings():
    assert parse_procfile("web: gunicorn app:app\r\nrelease: flask db upgrade\r\n") == {
        "web": "gunicorn app:app",
        "release": "flask db upgrade",
    }


def test_process_type_may_use_digits_dashes_and_underscores():
    assert parse_procfile("web-2: a\nclock_1: b\n") == {"web-2": "a", "clock_1": "b"}


def test_order_of_declaration_is_kept():
    assert list(parse_procfile("worker: w\nweb: x\nclock: c\n")) == ["worker", "web", "clock"]


def test_empty_text_gives_no_processes():
    assert parse_procfile("") == {}
    assert parse_procfile("# only a comment\n\n") == {}


@pytest.mark.parametrize(
    "line",
    [
        "web gunicorn app:app",  # no colon at all
        "web:",  # no command
        "web:    ",  # blank command
        ": gunicorn app:app",  # no name
        "my web: gunicorn app:app",  # space in the name
        "web.1: gunicorn app:app",  # dot in the name
        "wéb: gunicorn app:app",  # non-ASCII name
    ],
)
def test_malformed_line_is_a_build_error_naming_the_line(line):
    with pytest.raises(BuildError) as info:
        parse_procfile(f"# header\n{line}\n")
    message = str(info.value)
    assert "line 2" in message
    assert repr(line) in message
    assert "name: command" in message


def test_malformed_line_after_good_lines_is_still_refused():
    with pytest.raises(BuildError, match="line 3"):
        parse_procfile("web: a\nworker: b\nnonsense\n")


def test_duplicate_process_type_is_a_build_error():
    with pytest.raises(BuildError) as info:
        parse_procfile("web: gunicorn app:app\nworker: python w.py\nweb: python -m http.server\n")
    message = str(info.value)
    assert "'web'" in message
    assert "twice" in message
    assert "line 3" in message
