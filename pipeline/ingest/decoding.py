"""Bytes to text, and whether the text is English: encodings, binary sniffing, the language check."""
from __future__ import annotations

import re

from pipeline.ingest.records import BadInput, Options

_MAGIC = {b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"GIF8": "a GIF image", b"\xff\xd8\xff": "a JPEG image",
          b"PK\x03\x04": "a ZIP archive or Office document", b"\x1f\x8b": "a gzip archive", b"\x7fELF": "a program"}
WORD = re.compile(r"[^\W\d_]+")
# Frequent English function words: a cheap language check with no model to load.
_ENGLISH = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does during each few for from further had has have having he her here him his how i if in
into is it its itself just me more most my no nor not now of off on once only or other our out over own said same
says she should so some such than that the their them then there these they this those through to too under until
up very was we were what when where which while who whom why will with would you your
""".split())


def english_ratio(text: str) -> tuple[float, int]:
    """Share of words that are common English function words, and the number of words."""
    words = WORD.findall(text.lower())
    if not words:
        return 0.0, 0
    return sum(w in _ENGLISH for w in words) / len(words), len(words)


def check_language(text: str, opts: Options, declared: str | None = None) -> str:
    if opts.min_english_ratio <= 0:
        return declared or "en"
    ratio, words = english_ratio(text)
    if words < opts.min_language_words:
        return declared or "en"
    if ratio < opts.min_english_ratio:
        hint = f" (the source says {declared!r})" if declared and not declared.lower().startswith("en") else ""
        raise BadInput(f"article does not look like English{hint}: only {ratio:.0%} of its {words} words are common "
                       f"English words (threshold {opts.min_english_ratio:.0%}); the extractor reads English only")
    return "en"


def decode(data: bytes) -> str:
    """UTF-8 text; text in Windows-1252 or Latin-1 is decoded with that fallback instead of rejected."""
    text, _ = decode_with_encoding(data)
    return text


def decode_with_encoding(data: bytes) -> tuple[str, str]:
    head = data[:4096]
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            raise BadInput(f"file looks binary ({kind}), not a text article")
    if b"\x00" in head:
        raise BadInput("file looks binary (it contains NUL bytes), not a text article")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
    sample = text[:4096]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f")
    if sample and controls / len(sample) > 0.05:
        raise BadInput(f"file looks binary ({controls} control characters in its first {len(sample)}), "
                       "not a text article")
    return text, encoding
