"""The arithmetic and table of bench/throughput.py's backends section, on fake timings (no timing here)."""
import importlib.util
import io
import math
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "bench" / "throughput.py"
_spec = importlib.util.spec_from_file_location("bench_throughput_backends", _PATH)
throughput = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(throughput)


def _rows(*loads):
    return [{"load_wall_s": s, "ingested": 500, "warehouse_mb": 10.0 * (i + 1)} for i, s in enumerate(loads)]


def test_a_load_that_stays_within_20_percent_is_flat():
    f = throughput.flatness(_rows(2.0, 2.1, 1.9, 2.2, 2.3))
    assert f["first_s"] == 2.0 and f["last_s"] == 2.3
    assert math.isclose(f["change_pct"], 15.0)
    assert math.isclose(f["change_pct_median3"], 100 * (2.2 / 2.0 - 1))
    assert f["flat"] is True


def test_a_load_that_grows_with_the_warehouse_is_not_flat():
    f = throughput.flatness(_rows(1.0, 1.5, 2.0, 2.5, 3.0))
    assert math.isclose(f["change_pct"], 200.0) and f["flat"] is False
    faster = throughput.flatness(_rows(3.0, 2.0, 1.0))
    assert math.isclose(faster["change_pct"], -100 * 2 / 3) and faster["flat"] is False


def test_too_few_batches_are_never_called_flat():
    assert throughput.flatness(_rows(1.0))["flat"] is False
    assert math.isnan(throughput.flatness(_rows(0.0, 1.0))["change_pct"])


def test_the_table_shows_both_backends_per_batch():
    duck, lake = _rows(1.0, 2.0, 3.0), _rows(4.0, 4.2, 4.4)
    result = {"duckdb": {"batches": duck, **throughput.flatness(duck)},
              "ducklake": {"batches": lake, **throughput.flatness(lake)}}
    out = io.StringIO()
    throughput.backends_table(result, out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:2] == ["batch", "articles"] and "ducklake" in lines[0]
    assert lines[1].split() == ["1", "500", "1.00", "10.0", "4.00", "10.0"]
    assert lines[3].split() == ["3", "500", "3.00", "30.0", "4.40", "30.0"]
    assert "duckdb: load 1.00 s in batch 1, 3.00 s in batch 3 (+200%" in lines[4]
    assert lines[5].startswith("ducklake: load 4.00 s in batch 1, 4.40 s in batch 3 (+10%") and ", flat" in lines[5]
