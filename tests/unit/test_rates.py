from pipeline.extract.rates import find_rates


def test_percent_forms():
    for text in ("25 per cent", "25 pct", "25%", "25 percent", "25 per-cent"):
        (r,) = find_rates(f"a tariff of {text} on steel")
        assert r.value == 25.0, text


def test_additional_rate_is_flagged():
    r1, r2 = find_rates("an additional 25 per cent tariff, on top of the 25 per cent levy")
    assert r1.additional and not r2.additional


def test_range_gives_top_and_other_end():
    (r,) = find_rates("tariff cuts of between five and 30 pct")
    assert (r.value, r.alt) == (30.0, (5.0,))


def test_change_gives_new_level_and_keeps_old_apart():
    (r,) = find_rates("raised tariffs to 100 pct from about five pct")
    assert (r.value, r.alt, r.previous) == (100.0, (), 5.0)


def test_from_to_order():
    (r,) = find_rates("duties rose from 5 to 10 per cent")
    assert (r.value, r.previous) == (10.0, 5.0)


def test_bare_numbers_are_not_rates():
    assert find_rates("tariffs on 300 mln dlrs of goods, 99 plus pct sure") == []
