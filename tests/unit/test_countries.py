from datetime import date

from pipeline.extract.gazetteer import find_countries


def codes(text, published=None):
    return [(m.text, m.code) for m in find_countries(text, published)]


def test_names_abbreviations_and_demonyms():
    assert codes("U.S. tariffs on Indian goods hit the U.K.") == [("U.S.", "USA"), ("Indian", "IND"), ("U.K.", "GBR")]


def test_hyphenated_pairs_name_both_countries():
    assert [c for _, c in codes("U.S.-Japanese talks and American-caught fish")] == ["USA", "JPN", "USA"]


def test_bodies_and_ec_is_eu():
    assert [c for _, c in codes("the EC and GATT, the European Community")] == ["EU", "GATT", "EU"]


def test_body_name_wins_over_words_inside_it():
    assert codes("the General Agreement on Tariffs and Trade") == [("General Agreement on Tariffs and Trade", "GATT")]


def test_historic_states_and_capitals():
    assert codes("Yugoslavia and West Germany", None) == [("Yugoslavia", "YUG"), ("West Germany", "DEU")]
    assert codes("Moscow said", date(1987, 3, 16)) == [("Moscow", "SUN")]
    assert codes("Moscow said", date(2025, 8, 7)) == [("Moscow", "RUS")]


def test_possessive_is_stripped():
    assert codes("Japan's quotas") == [("Japan", "JPN")]


def test_all_caps_headlines_match_long_names_only():
    assert codes("NICARAGUA, ROMANIA LOSE TRADE RIGHTS; US TO ACT") == [("NICARAGUA", "NIC"), ("ROMANIA", "ROU")]


def test_common_words_are_not_countries():
    assert codes("let us meet in the chad of turkey season") == []


def test_name_alternation_prefers_the_longest_name_and_backs_off_at_a_word_boundary():
    import re

    from pipeline.extract.gazetteer import _alternation

    names = ["Korea", "South Korea", "South", "US", "USA", "U.S.", "Sudan", "South Sudan"]
    rx = re.compile(r"(?<![\w.])(?:%s)(?![\w])" % _alternation(names))
    found = lambda text: [m.group(0) for m in rx.finditer(text)]  # noqa: E731
    assert found("South Korea and South Sudan met the USA") == ["South Korea", "South Sudan", "USA"]
    # "USAF" is no name: the boundary after "USA" fails, and so does the shorter "US"
    assert found("USAF, US. and South Koreans") == ["US", "South"]
    # the flat longest-first alternation it replaces finds the same matches
    flat = re.compile(r"(?<![\w.])(?:%s)(?![\w])" % "|".join(
        re.escape(n) for n in sorted(names, key=len, reverse=True)))
    text = "U.S.-South Korea, South Sudanese USA's Sudan South"
    assert found(text) == [m.group(0) for m in flat.finditer(text)]
