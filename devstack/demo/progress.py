"""What the demo prints: a heading per scenario, one line per step with its time, a summary."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO


class ScenarioFailedError(Exception):
    """A step did not see what it should have; the message says what."""


@dataclass(frozen=True)
class Outcome:
    number: int
    title: str
    passed: bool
    seconds: float
    what: str


class Step:
    """One line of progress: what was done, then (via :meth:`done`) what came of it."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.detail = ""

    def done(self, detail: str) -> None:
        self.detail = detail


def elapsed(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:4.0f} ms"
    return f"{seconds:4.1f} s "


class Progress:
    def __init__(self, out: TextIO = sys.stdout, color: bool | None = None) -> None:
        self.out = out
        if color is None:
            color = out.isatty() and "NO_COLOR" not in os.environ
        self._color = color

    def _paint(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self._color else text

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def heading(self, text: str) -> None:
        self.line()
        self.line(self._paint("1", text))

    def note(self, text: str) -> None:
        for row in text.splitlines():
            self.line(self._paint("2", f"    {row}"))

    def block(self, text: str, indent: int = 4) -> None:
        for row in text.rstrip("\n").splitlines():
            self.line(" " * indent + row)

    def ok(self, seconds: float, text: str) -> None:
        self.line(f"  {self._paint('32', '✓')} {elapsed(seconds)}  {text}")

    def failed(self, seconds: float, text: str) -> None:
        self.line(f"  {self._paint('31', '✗')} {elapsed(seconds)}  {text}")

    @contextmanager
    def step(self, label: str) -> Iterator[Step]:
        step = Step(label)
        began = time.monotonic()
        try:
            yield step
        except BaseException as error:
            self.failed(time.monotonic() - began, f"{label}: {describe(error)}")
            raise
        self.ok(time.monotonic() - began, f"{label}  {step.detail}".rstrip())

    def summary(self, outcomes: Sequence[Outcome]) -> None:
        self.heading("Summary")
        width = max(len(o.title) for o in outcomes) + 3
        self.line(f"  {'scenario':<{width}} {'result':<6}  {'time':>7}  what held")
        for o in outcomes:
            mark = self._paint("32", "pass") if o.passed else self._paint("31", "FAIL")
            title = f"{o.number}. {o.title}"
            self.line(f"  {title:<{width}} {mark}    {elapsed(o.seconds):>7}  {o.what}")


def describe(error: BaseException) -> str:
    if isinstance(error, ScenarioFailedError):
        return str(error)
    details = getattr(error, "details", None)
    if callable(details):  # a gRPC error: its status and message say more than its repr
        code = getattr(error, "code", lambda: "?")()
        return f"{getattr(code, 'name', code)}: {details()}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
