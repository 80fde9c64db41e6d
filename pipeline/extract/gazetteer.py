"""Country and body gazetteer: pycountry's names plus the aliases in data/gazetteer.csv.

Matching runs on characters, not tokens, because the tokenizer keeps forms
like "U.S.-Japanese" in one token while they name two countries.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BODY_CODES = ("EU", "WTO", "GATT", "OPEC", "G7", "UN", "IMF", "ASEAN", "BRICS")
HISTORIC_CODES = ("SUN", "YUG", "DDR", "CSK")
# The Soviet Union dissolved on 1991-12-26; before that "Moscow" and
# "Russian" name the Soviet government.
SOVIET_END = date(1991, 12, 26)
# Lower-case or very short pycountry names collide with ordinary words or
# people ("Chad", "Jersey", "Georgia" the US state); they stay out unless
# the data file lists them.
_SKIP_PYCOUNTRY = {"Jersey", "Georgia", "Chad", "Guernsey", "Man", "Niger", "Jordan", "Turkey",
                   "Dominica", "Guinea"}
# pycountry spellings that never occur in news but must not block a short form.
_KEEP_AS_IS = {"Jordan", "Turkey", "Guinea", "Niger", "Chad"}


@dataclass(frozen=True)
class CountryMatch:
    start: int
    end: int
    text: str
    code: str
    kind: str


def _pycountry_aliases() -> dict[str, tuple[str, str]]:
    import pycountry

    out: dict[str, tuple[str, str]] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(c, attr, None)
            if not name or name in _SKIP_PYCOUNTRY:
                continue
            # "Korea, Republic of" style names never appear in running text.
            if "," in name or "(" in name:
                continue
            out.setdefault(name, (c.alpha_3, "name"))
    for name in _KEEP_AS_IS:
        c = pycountry.countries.get(name=name)
        if c is not None:
            out[name] = (c.alpha_3, "name")
    return out


@lru_cache(maxsize=1)
def aliases() -> dict[str, tuple[str, str]]:
    """alias -> (code, kind); data-file entries override pycountry."""
    table = _pycountry_aliases()
    path = DATA_DIR / "gazetteer.csv"
    try:
        fh = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"gazetteer {path} is missing; restore pipeline/data/ from git") from None
    with fh:
        rows = (line for line in fh if line.strip() and not line.startswith("#"))
        for row in csv.DictReader(rows):
            table[row["alias"].strip()] = (row["code"].strip(), row["kind"].strip())
    return table


def _alternation(names) -> str:
    """A regex matching any of ``names``, the longest one wherever several start at the same place.

    Built as a trie ("U(?:nited (?:Kingdom|States)|K|S)..."), not a flat list of the names: Python's
    regex engine tries a flat alternation's branches one by one at every character, and with a
    thousand names that scan dominated extraction. At each node the longer continuations come before
    the end of a name, so the regex still prefers the longest name and, when the boundary after it
    fails, backs off to a shorter one, as a longest-first flat alternation does.
    """
    trie: dict = {}
    for name in names:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(trie)


@lru_cache(maxsize=1)
def _regexes() -> tuple[re.Pattern, re.Pattern, dict[str, tuple[str, str]]]:
    table = aliases()
    mixed = re.compile(r"(?<![\w.])(?:%s)(?![\w])(?:'s)?" % _alternation(table))
    # All-capitals headlines: only aliases long or dotted enough not to be words.
    upper = {a.upper(): v for a, v in table.items() if len(a) >= 4 or "." in a}
    caps = re.compile(r"(?<![\w.])(?:%s)(?![\w])" % _alternation(upper))
    return mixed, caps, upper


def era_code(code: str, published: date | None) -> str:
    if code == "RUS" and published is not None and published < SOVIET_END:
        return "SUN"
    return code


def find_countries(text: str, published: date | None = None) -> list[CountryMatch]:
    """Every gazetteer mention in ``text``, left to right, longest match wins."""
    mixed, caps, upper = _regexes()
    table = aliases()
    is_caps = text.isupper()
    regex = caps if is_caps else mixed
    out: list[CountryMatch] = []
    for m in regex.finditer(text):
        surface = m.group(0)
        if surface.endswith("'s"):
            surface = surface[:-2]
        code, kind = (upper if is_caps else table)[surface]
        end = m.start() + len(surface)
        if kind == "demonym" and code in BODY_CODES and _CONTINENT_NOUN.match(text, end):
            continue  # "a central and eastern European country": a continent, not the body
        if kind == "title" and out and out[-1].kind in ("name", "abbrev", "demonym") and \
                out[-1].code != code and not text[out[-1].end:m.start()].strip():
            continue  # "UK Secretary of State", "Indian Commerce Secretary": the title is that country's
        out.append(CountryMatch(m.start(), end, surface, era_code(code, published), kind))
    return out


# Nouns after a body's demonym ("European") that make it the continent's adjective.
_CONTINENT_NOUN = re.compile(
    r"\s+(?:countries|country|nations?|states?|neighbou?rs|continent|capitals|economies|economy|partners?)\b",
    re.IGNORECASE)
