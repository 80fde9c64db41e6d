"""Progress of a run's stages: a live bar on a terminal, periodic log lines in Airflow, else nothing.

Stages take a ``Progress`` and call ``stage(name, total)`` for a counter they ``advance``. The CLI
passes ``for_terminal()``: tqdm bars when stdout is a terminal (and not ``--quiet``), nothing
otherwise. Stages called without one (the DAG's tasks) log a line at most every ``every_s`` seconds,
so a long task's log shows how far it got without flooding it.
"""
from __future__ import annotations

import logging
import sys
import time
from typing import Callable, TextIO

log = logging.getLogger("pipeline.progress")


class Counter:
    """A stage's counter that shows nothing."""

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> "Counter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Progress:
    """Shows nothing."""

    def stage(self, name: str, total: int | None = None, unit: str = "documents") -> Counter:
        return Counter()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class _LogCounter(Counter):
    def __init__(self, name: str, total: int | None, unit: str, every_s: float, clock: Callable[[], float]):
        self.name, self.total, self.unit, self.every_s, self.clock = name, total, unit, every_s, clock
        self.done = 0
        self.started = self.last = clock()

    def line(self) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            left = (self.total - self.done) / rate if rate > 0 else None
            eta = f", about {_duration(left)} left" if left is not None else ""
            return (f"{self.name}: {self.done:,}/{self.total:,} {self.unit} ({100 * self.done / self.total:.0f}%), "
                    f"{rate:,.1f} {self.unit}/s{eta}")
        return f"{self.name}: {self.done:,} {self.unit}, {rate:,.1f} {self.unit}/s"

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.clock() - self.last >= self.every_s:
            self.last = self.clock()
            log.info("%s", self.line())

    def close(self) -> None:
        elapsed = self.clock() - self.started
        if elapsed >= self.every_s:  # short stages already say what they did in their own summary line
            log.info("%s: %s %s in %s", self.name, f"{self.done:,}", self.unit, _duration(elapsed))


class LogProgress(Progress):
    """A log line per stage at most every ``every_s`` seconds (Airflow task logs)."""

    def __init__(self, every_s: float = 10.0, clock: Callable[[], float] = time.monotonic):
        self.every_s, self.clock = every_s, clock

    def stage(self, name: str, total: int | None = None, unit: str = "documents") -> Counter:
        return _LogCounter(name, total, unit, self.every_s, self.clock)


class _BarCounter(Counter):
    def __init__(self, bar):
        self.bar = bar

    def advance(self, n: int = 1) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


class TerminalProgress(Progress):
    """tqdm bars with rate and time left; each disappears when its stage ends, leaving the summary."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def stage(self, name: str, total: int | None = None, unit: str = "documents") -> Counter:
        from tqdm import tqdm

        return _BarCounter(tqdm(total=total, desc=name, unit=f" {unit}", file=self.stream, leave=False,
                                dynamic_ncols=True, mininterval=0.2))


def for_terminal(quiet: bool = False, stream: TextIO | None = None) -> Progress:
    """Bars when ``stream`` (stdout) is a terminal and the run is not quiet; otherwise nothing."""
    stream = stream or sys.stdout
    if quiet or not stream.isatty():
        return Progress()
    return TerminalProgress(stream)
