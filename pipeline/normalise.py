"""Normalise raw articles: clean text, title, publication date and sentences.

Pure functions only. The stored text is the normalised text, and every
offset the pipeline records (sentences, evidence) indexes into it.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pipeline.models import Document, RawDocument, Sentence

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ",
    "\u200b": "", "\ufeff": "", "\u00ad": "",
    "\u2013": "-", "\u2014": " - ", "\u2212": "-",
})
# Control characters and bidirectional overrides/isolates carry no text, and in a title or evidence
# they can make a terminal or a page show something other than what is stored: removed (vertical
# tab and form feed count as spaces).
_INVISIBLE = {c: None for c in [*range(0x00, 0x09), *range(0x0e, 0x20), *range(0x7f, 0xa0),
                                0x200e, 0x200f, *range(0x202a, 0x202f), *range(0x2066, 0x206a)]}
_INVISIBLE.update({0x0b: " ", 0x0c: " "})
_TEXT = {**_QUOTES, **_INVISIBLE}  # one pass over each body
_SPACES = re.compile(r"[ \t\f\v]+")
_TITLE_MAX_CHARS = 160


def clean_text(text: str) -> str:
    """NFC, straight quotes, hard-wrapped lines joined, one blank line between paragraphs.

    Newswire bodies are hard-wrapped at ~70 columns and start paragraphs with
    an indent; a parser works far better on unwrapped sentences, so a line
    joins the previous one unless it is blank or indented. An all-capitals
    line is a headline and stands alone.
    """
    text = unicodedata.normalize("NFC", text).translate(_TEXT)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        stripped = _SPACES.sub(" ", line).strip()
        is_headline = stripped.isupper()
        starts_paragraph = not stripped or line[:1] in (" ", "\t") or is_headline
        if starts_paragraph and current:
            paragraphs.append(current)
            current = []
        if stripped:
            current.append(stripped)
        if is_headline:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return "\n\n".join(" ".join(lines) for lines in paragraphs)


def guess_title(text: str) -> str | None:
    """The first paragraph when it reads as a headline (short, no final stop)."""
    first = text.split("\n\n", 1)[0].strip()
    if first and len(first) <= _TITLE_MAX_CHARS and first[-1] not in '.?!"\'':
        return first
    return None


@lru_cache(maxsize=1)
def _sentencizer():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


# spaCy refuses a text over nlp.max_length (E088, 1,000,000 characters) and holds a whole Doc in
# memory, while the file size limit allows longer paragraphs; the sentencizer only ever sees a
# window this long, so memory stays bounded whatever the paragraph's length.
_WINDOW_CHARS = 100_000
_NON_SPACE = re.compile(r"\S")
_SPACE = re.compile(r"\s")


def _window_end(paragraph: str, start: int, limit: int) -> int:
    """Where a window from ``start`` ends: at the last whitespace within ``limit``, so no word is cut."""
    end = start + limit
    if end >= len(paragraph):
        return len(paragraph)
    space = _SPACE.search(paragraph[start + 1:end + 1][::-1])
    # a run of ``limit`` characters without whitespace has to be cut inside a word
    return end - space.start() if space else end


def _paragraph_sentences(nlp, paragraph: str, limit: int) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``paragraph``, sentencizing at most ``limit`` characters at a time."""
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(paragraph):
        end = _window_end(paragraph, start, limit)
        found = [(start + s.start_char, start + s.end_char) for s in nlp(paragraph[start:end]).sents]
        if end < len(paragraph) and len(found) > 1:
            # the window's last sentence may go on past the cut: it is read again with what follows
            start = found.pop()[0]
        else:
            # a whole window without a sentence break is one sentence, so none grows past ``limit``
            nxt = _NON_SPACE.search(paragraph, end)
            start = nxt.start() if nxt else len(paragraph)
        spans.extend(found)
    return spans


# A paragraph as clean_text leaves it: words separated by single spaces and no other whitespace.
_SINGLE_SPACED = re.compile(r"[^ ]+(?: [^ ]+)*")
_OTHER_SPACE = re.compile(r"[^\S ]")


@lru_cache(maxsize=1)
def _punct_chars() -> frozenset[str]:
    return frozenset(_sentencizer().get_pipe("sentencizer").punct_chars)


@lru_cache(maxsize=200_000)
def _word_tokens(word: str) -> tuple[tuple[int, bool, bool], ...]:
    """(offset in the word, is a sentence-final character, is punctuation) of each token of ``word``.

    spaCy tokenizes each whitespace-separated word on its own, so a word's tokens are the same
    wherever it occurs, and the cache makes a repeated "said." or "U.S." free.
    """
    punct = _punct_chars()
    return tuple((t.idx, t.text in punct, t.is_punct) for t in _sentencizer().tokenizer(word))


def _fast_paragraph_sentences(paragraph: str) -> list[tuple[int, int]] | None:
    """The sentencizer's sentences of a single-spaced paragraph, tokenizing only where they can end.

    The sentencizer starts a sentence at the first token after a sentence-final character ('.', '?',
    ...) that is neither punctuation nor another such character. Only the words holding such a
    character, and the words right after one, can decide that, so only they are tokenized; the rest
    of the paragraph is never turned into tokens. None for anything else (other whitespace, runs of
    spaces, overlong paragraphs), which the sentencizer itself reads.
    """
    if len(paragraph) > _WINDOW_CHARS or _OTHER_SPACE.search(paragraph) or \
            not _SINGLE_SPACED.fullmatch(paragraph):
        return None
    punct = _punct_chars()
    spans: list[tuple[int, int]] = []
    start = 0
    seen_period = False
    at = 0
    for word in paragraph.split(" "):
        if seen_period or any(ch in punct for ch in word):
            for offset, is_final, is_punct in _word_tokens(word):
                if seen_period and not is_punct and not is_final:
                    begin = at + offset
                    # the previous token ends where this one begins, less the space if it starts the word
                    spans.append((start, begin - 1 if offset == 0 else begin))
                    start, seen_period = begin, False
                elif is_final:
                    seen_period = True
        at += len(word) + 1
    spans.append((start, len(paragraph)))
    return spans


def split_sentences(text: str, window_chars: int = _WINDOW_CHARS) -> list[Sentence]:
    """Sentence spans; paragraph breaks are always boundaries, and so is every ``window_chars`` of text
    that has none."""
    sentences: list[Sentence] = []
    nlp = _sentencizer()
    offset = 0
    for paragraph in text.split("\n\n"):
        if paragraph.strip():
            spans = _fast_paragraph_sentences(paragraph) if window_chars == _WINDOW_CHARS else None
            for start, end in spans if spans is not None else _paragraph_sentences(nlp, paragraph, window_chars):
                if text[offset + start:offset + end].strip():
                    sentences.append(Sentence(offset + start, offset + end))
        offset += len(paragraph) + 2
    return sentences


def normalise(raw: RawDocument) -> Document:
    text = clean_text(raw.text)
    given = _SPACES.sub(" ", raw.title.translate(_INVISIBLE).replace("\n", " ")).strip() if raw.title else ""
    title = given or guess_title(text)
    return Document(
        doc_id=Document.id_for(text),
        source_uri=raw.source_uri,
        text=text,
        title=title,
        published=raw.published,
        source_name=raw.source_name,
        url=raw.url,
        fetched_at=raw.fetched_at,
        sentences=split_sentences(text),
    )
