"""Tables print user text as text: rich markup in a cell is neither applied nor an error."""

from __future__ import annotations

import pytest

from seaway.cli.common import print_table


@pytest.mark.parametrize("cell", ["Set [red] config", "[/foo]", "[bold]x[/bold]", "a [link=http://x]b"])
def test_markup_in_a_cell_is_printed_as_it_is(capsys: pytest.CaptureFixture[str], cell: str) -> None:
    print_table(["Version", "Description"], [["v3", cell]])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].rstrip().split(None, 1) == ["v3", cell]
