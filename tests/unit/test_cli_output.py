"""What `pipeline query` prints: stored control and bidi characters reach the terminal escaped."""
from __future__ import annotations

import io
import json

from pipeline.cli import print_json, print_table


def test_table_cells_escape_control_and_bidi_characters():
    out = io.StringIO()
    print_table(["title"], [("Tariff\x1b[2J news \u202eexe.txt\nsecond line",), (None,)], out)
    text = out.getvalue()
    assert "\x1b" not in text and "\u202e" not in text
    assert "Tariff\\x1b[2J news \\u202eexe.txt\\x0asecond line" in text
    assert len(text.splitlines()) == 4  # header, rule, two rows: a stored newline does not split a row


def test_json_output_is_ascii_and_round_trips():
    out = io.StringIO()
    print_json(["title", "n"], [("Zölle \u202e", 3)], out)
    assert out.getvalue().isascii()
    assert json.loads(out.getvalue()) == [{"title": "Zölle \u202e", "n": 3}]
