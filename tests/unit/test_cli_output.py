"""What `pipeline query` prints and what is stored: control and bidi characters never reach a terminal."""
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


def test_stored_text_has_control_and_bidi_characters_removed():
    from pipeline.models import RawDocument
    from pipeline.normalise import normalise

    raw = RawDocument("file:///x.txt", "Ministers\x1b[2J met\u202e in\x00 Geneva\x0bon Monday.\n\tA second\u2066 line.",
                      title="Tariff \u202eexe.txt\x07\nnews")
    doc = normalise(raw)
    assert doc.text == "Ministers[2J met in Geneva on Monday.\n\nA second line."
    assert doc.title == "Tariff exe.txt news"
    # offsets index the cleaned text: every sentence is a real slice of it
    assert [doc.text[s.start:s.end] for s in doc.sentences][-1] == "A second line."
