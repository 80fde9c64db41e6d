from datetime import date

from pipeline.models import RawDocument
from pipeline.normalise import clean_text, guess_title, normalise, split_sentences


def test_hard_wrapped_newswire_is_unwrapped_and_indented_lines_start_paragraphs():
    raw = "TRADE TALKS END\nJapan and the U.S. ended\ntalks today.\n    A second paragraph\nfollows here.\n"
    assert clean_text(raw) == "TRADE TALKS END\n\nJapan and the U.S. ended talks today.\n\nA second paragraph follows here."


def test_quotes_spaces_and_unicode_forms_are_normalised():
    text = "India\u2019s \u201cpact\u201d\u00a0 was  signed\r\nCafe\u0301"
    assert clean_text(text) == "India's \"pact\" was signed Caf\u00e9"


def test_title_is_a_short_first_paragraph_without_final_stop():
    assert guess_title("EGYPT, SOVIETS TO RENEGOTIATE DEBT\n\nBody.") == "EGYPT, SOVIETS TO RENEGOTIATE DEBT"
    assert guess_title("India and Russia signed a protocol on Wednesday.") is None
    assert guess_title("") is None


def test_sentence_offsets_index_the_stored_text_and_respect_paragraphs():
    text = clean_text("HEADLINE HERE\nThe U.S. imposed tariffs. Japan objected.\n\nTalks resume Monday")
    spans = [text[s.start:s.end] for s in split_sentences(text)]
    assert spans == ["HEADLINE HERE", "The U.S. imposed tariffs.", "Japan objected.", "Talks resume Monday"]


def test_normalise_gives_content_hash_ids():
    a = normalise(RawDocument("file:///a.txt", "Same text.\n", published=date(2025, 1, 1)))
    b = normalise(RawDocument("file:///b.txt", "Same   text.", published=date(2025, 1, 1)))
    assert a.doc_id == b.doc_id and a.source_uri != b.source_uri
    assert a.text == "Same text." and a.published == date(2025, 1, 1)


def test_whitespace_only_text_has_no_sentences():
    assert normalise(RawDocument("file:///e.txt", " \n\t\n")).sentences == []


def _long_paragraph(min_chars: int) -> tuple[str, list[str]]:
    """One paragraph of distinct numbered sentences, at least ``min_chars`` long."""
    sentences, length, i = [], 0, 0
    while length < min_chars:
        sentences.append(f"Delegates in round {i} said the talks on steel duties would go on.")
        length += len(sentences[-1]) + 1
        i += 1
    return " ".join(sentences), sentences


def test_a_paragraph_over_spacys_max_length_splits_into_sentences_that_index_the_text():
    paragraph, expected = _long_paragraph(1_200_000)
    raw = RawDocument("file:///long.txt", "LONG READ\n\n" + paragraph + "\n\nA last short paragraph.")
    doc = normalise(raw)
    assert len(doc.text) > 1_200_000
    spans = [doc.text[s.start:s.end] for s in doc.sentences]
    # cutting the paragraph into windows for spaCy splits no sentence and loses none
    assert spans == ["LONG READ", *expected, "A last short paragraph."]
    assert all(a.end <= b.start for a, b in zip(doc.sentences, doc.sentences[1:]))


def test_a_long_run_without_sentence_ends_or_spaces_becomes_bounded_sentences():
    words = " ".join(["tariff"] * 300_000)  # 2.1 million characters, no full stop
    unbroken = "x" * 1_100_000
    text = words + "\n\n" + unbroken
    sentences = split_sentences(text)
    assert max(s.end - s.start for s in sentences) <= 100_000
    assert all(text[s.start:s.end] == text[s.start:s.end].strip() for s in sentences)
    assert all(a.end <= b.start for a, b in zip(sentences, sentences[1:]))
    # every character but whitespace is in a sentence, and the word run is cut only at spaces
    bounds = [0, *(i for s in sentences for i in (s.start, s.end)), len(text)]
    assert all(not text[a:b].strip() for a, b in zip(bounds[::2], bounds[1::2]))
    assert all(set(text[s.start:s.end].split(" ")) == {"tariff"} for s in sentences if text[s.start] == "t")


def test_sentences_found_without_tokenizing_every_word_equal_the_sentencizers():
    from pipeline import normalise as norm

    paragraphs = [
        'Prices rose 3.5 pct. "We expect more," he said. (Then it fell.) It ended lower!',
        "The U.S. and Mr. Smith met at 10 a.m. on Jan. 5. Talks went on...and on. Done?!",
        "Output climbed.The ministry said so. It said: 'no.' Then [it] stopped. ...",
        "No final stop here",
        "Ends with quotes.\" And brackets.) Then more. 1. Numbered. 2) also.",
    ]
    for paragraph in paragraphs:
        nlp = norm._sentencizer()
        expected = [(s.start_char, s.end_char) for s in nlp(paragraph).sents]
        assert norm._fast_paragraph_sentences(paragraph) == expected, paragraph
    # anything but single spaces between words is left to the sentencizer itself
    assert norm._fast_paragraph_sentences("Two  spaces. Here.") is None
    assert norm._fast_paragraph_sentences("A tab.\tHere.") is None
    assert norm._fast_paragraph_sentences(" Leading space.") is None
