"""Percentages in news text: "25 per cent", "25 pct", "25%", "between five and 30 pct"."""
from __future__ import annotations

import re
from dataclasses import dataclass

_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
          "twenty-five": 25, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
          "eighty": 80, "ninety": 90, "hundred": 100, "one hundred": 100}
_NUM = r"(?:\d+(?:\.\d+)?|%s)" % "|".join(sorted((re.escape(w) for w in _WORDS), key=len, reverse=True))
_UNIT = r"(?:\s*%|\s*-?\s*(?:per[\s-]*cent|percent|pct|percentage points?)\b)"
_RANGE = re.compile(
    rf"\b(?:between\s+)?(?P<lo>{_NUM})(?:{_UNIT})?\s*(?:and|to|-)\s*(?P<hi>{_NUM}){_UNIT}", re.IGNORECASE)
_FROM_TO = re.compile(
    rf"\bto\s+(?:about\s+|around\s+|some\s+)?(?P<to>{_NUM}){_UNIT}\s+from\s+(?:about\s+|around\s+|some\s+)?(?P<from>{_NUM}){_UNIT}?"
    rf"|\bfrom\s+(?:about\s+|around\s+|some\s+)?(?P<from2>{_NUM}){_UNIT}?\s+to\s+(?:about\s+|around\s+)?(?P<to2>{_NUM}){_UNIT}",
    re.IGNORECASE)
_SINGLE = re.compile(rf"\b(?P<v>{_NUM}){_UNIT}", re.IGNORECASE)
_ADDITIONAL = re.compile(r"\b(?:additional|extra|further|another|more)\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class RateMention:
    start: int
    end: int
    value: float  # the rate of the action (top of a range, new level of a change)
    alt: tuple[float, ...] = ()  # the other end of a range
    previous: float | None = None  # the old level in "to 100 pct from five pct"
    additional: bool = False  # "an additional 25 per cent": on top of an existing rate


def _num(text: str) -> float:
    text = text.lower()
    return float(_WORDS[text]) if text in _WORDS else float(text)


def find_rates(text: str) -> list[RateMention]:
    out: list[RateMention] = []
    taken: list[tuple[int, int]] = []

    def free(s, e):
        return all(e <= a or s >= b for a, b in taken)

    for m in _FROM_TO.finditer(text):
        to, frm = (m.group("to"), m.group("from")) if m.group("to") else (m.group("to2"), m.group("from2"))
        out.append(RateMention(m.start(), m.end(), _num(to), (), _num(frm)))
        taken.append((m.start(), m.end()))
    for m in _RANGE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        lo, hi = _num(m.group("lo")), _num(m.group("hi"))
        if lo >= hi:
            continue
        out.append(RateMention(m.start(), m.end(), hi, (lo,)))
        taken.append((m.start(), m.end()))
    for m in _SINGLE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        additional = bool(_ADDITIONAL.search(text[max(0, m.start() - 20):m.start()]))
        out.append(RateMention(m.start(), m.end(), _num(m.group("v")), (), None, additional))
        taken.append((m.start(), m.end()))
    return sorted(out, key=lambda r: r.start)
