"""The UI latency benchmark's arithmetic on made-up timings (no timed assertions: issue 7)."""
import sys

import numpy as np
import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import bench  # noqa: E402


@pytest.mark.parametrize("values", [[5.0], [1.0, 2.0], [3.0, 1.0, 2.0, 10.0], list(range(30, 0, -1))])
@pytest.mark.parametrize("pct", [0, 50, 95, 100])
def test_percentile_matches_numpy(values, pct):
    assert bench.percentile(values, pct) == pytest.approx(float(np.percentile(values, pct)))


def test_latency_summary_on_thirty_requests():
    ms = [10.0] * 28 + [100.0, 400.0]
    s = bench.latency_summary(ms)
    assert s["n"] == 30 and s["p50_ms"] == 10.0 and s["max_ms"] == 400.0
    # rank 0.95 * 29 = 27.55: between the 28th value (10) and the 29th (100)
    assert s["p95_ms"] == pytest.approx(10.0 + 0.55 * 90.0)


def test_percentile_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        bench.percentile([], 95)
