"""The arithmetic of bench/throughput.py on fake timings: rates, ratios, pass rates, summing corpora.

No timings are taken here (issue 7 keeps timed assertions out of the tests).
"""
import importlib.util
import io
import math
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "throughput.py"
_spec = importlib.util.spec_from_file_location("bench_throughput", _PATH)
throughput = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(throughput)


def _corpus(articles=100, words=50_000, scale=1.0):
    runs = {
        "pipeline": {"wall_s": 5.0 * scale, "cpu_s": 8.0 * scale,
                     "stages_cpu_s": {"ingest": 0.5 * scale, "normalise": 1.5 * scale, "extract": 5.0 * scale,
                                      "load": 0.8 * scale, "check": 0.2 * scale}},
        "second": {"wall_s": 0.1 * scale, "cpu_s": 0.16 * scale},
        "pipeline_1worker": {"wall_s": 9.0 * scale, "cpu_s": 9.0 * scale,
                             "stages_cpu_s": {"extract": 6.0 * scale, "load": 3.0 * scale},
                             "counts": {"documents": articles, "sentences": 1000, "parser_candidates": 150,
                                        "model_candidates": 400},
                             "components_cpu_s": {"en_core_web_sm/parser": 3.0 * scale, "(rest)": 6.0 * scale}},
        "naive": {"wall_s": 80.0 * scale, "cpu_s": 72.0 * scale},
        "tokenizer": {"wall_s": 4.0 * scale, "cpu_s": 4.8 * scale},
    }
    return {"articles": articles, "words": words, "runs": runs}


def test_rates_are_words_per_cpu_and_per_wall_second():
    r = throughput.rates(1000, {"wall_s": 4.0, "cpu_s": 2.0})
    assert r["words_per_cpu_s"] == 500.0
    assert r["words_per_wall_s"] == 250.0


def test_zero_seconds_give_nan_not_an_error():
    assert math.isnan(throughput.rates(1000, {"wall_s": 0.0, "cpu_s": 0.0})["words_per_cpu_s"])


def test_ratios_pass_rates_and_second_run_share():
    f = throughput.figures(_corpus())
    # same words in every run, so a throughput ratio is the inverse ratio of seconds
    assert f["vs_tokenizer_cpu"] == pytest.approx(4.8 / 8.0)
    assert f["vs_tokenizer_cpu"] == pytest.approx(f["runs"]["pipeline"]["words_per_cpu_s"]
                                                  / f["runs"]["tokenizer"]["words_per_cpu_s"])
    assert f["vs_tokenizer_wall"] == pytest.approx(4.0 / 5.0)
    assert f["vs_naive_cpu"] == pytest.approx(9.0)
    assert f["vs_naive_wall"] == pytest.approx(16.0)
    assert f["vs_naive_cpu_1worker"] == pytest.approx(8.0)
    assert f["parser_pass_rate"] == pytest.approx(0.15)
    assert f["model_pass_rate"] == pytest.approx(0.40)
    assert f["second_run_cpu_pct"] == pytest.approx(2.0)
    assert f["second_run_wall_pct"] == pytest.approx(2.0)
    assert f["pipeline_stage_cpu_share"]["extract"] == pytest.approx(5.0 / 8.0)
    assert f["component_cpu_share"]["en_core_web_sm/parser"] == pytest.approx(1 / 3)


def test_combined_corpora_sum_words_and_seconds():
    a, b = _corpus(100, 50_000), _corpus(300, 150_000, scale=3.0)
    both = throughput.combine([a, b])
    assert both["articles"] == 400 and both["words"] == 200_000
    assert both["runs"]["pipeline"]["cpu_s"] == pytest.approx(32.0)
    assert both["runs"]["pipeline_1worker"]["counts"]["sentences"] == 2000
    assert both["runs"]["pipeline"]["stages_cpu_s"]["extract"] == pytest.approx(20.0)
    f = throughput.figures(both)
    # a words-weighted mean: equal per-corpus rates stay equal when combined
    assert f["runs"]["pipeline"]["words_per_cpu_s"] == pytest.approx(200_000 / 32.0)
    assert f["vs_naive_cpu"] == pytest.approx(9.0)
    assert f["parser_pass_rate"] == pytest.approx(0.15)


def test_missing_details_are_left_out_of_a_combination():
    a, b = _corpus(), _corpus()
    del b["runs"]["pipeline_1worker"]["counts"]
    both = throughput.combine([a, b])
    assert "counts" not in both["runs"]["pipeline_1worker"]
    assert "parser_pass_rate" not in throughput.figures(both)


def test_component_clock_charges_each_second_once():
    now = [0.0]
    clock = throughput.ComponentClock(clock=lambda: now[0])

    class Upper:  # a component with its own pipe: 2 "seconds" per doc
        def pipe(self, stream):
            for doc in stream:
                now[0] += 2.0
                yield doc.upper()

    def tokenised():  # the upstream work, 1 "second" per doc: the tokenizer's, not the component's
        for text in ("a", "b", "c"):
            yield clock.call("tokenizer", lambda t: (now.__setitem__(0, now[0] + 1.0), t)[1], text)

    out = list(clock.pipe("upper", Upper(), tokenised()))
    assert out == ["A", "B", "C"]
    assert clock.totals["upper"] == pytest.approx(6.0)
    assert clock.totals["tokenizer"] == pytest.approx(3.0)
    assert sum(clock.totals.values()) == pytest.approx(now[0])
    assert not clock.stack


def test_table_prints_targets_beside_figures():
    results = {"realistic": throughput.figures(_corpus()), "dev-style": throughput.figures(_corpus())}
    buf = io.StringIO()
    throughput.table(results, out=buf)
    text = buf.getvalue()
    assert ">= 0.60" in text and "<= 2%" in text and ">= 8 realistic" in text
    assert "9.00" in text  # vs naive, CPU
