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
