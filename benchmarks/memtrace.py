"""Per-stage resident memory of an in-process ``landplan run``: which stage holds what.

Used by ``benchmarks/run_scale.py --trace``. A thread samples ``VmRSS`` from ``/proc/self/status``
every 20 ms and charges it to the current stage; stages are the pipeline's progress messages
("reading parcels", "criterion job_access", "writing report.html", ...) refined by wrapping a few
functions of the outputs (the sensitivity, the report's maps, cards and tables), so the report's
share is split too. Linux only (``/proc``).
"""

from __future__ import annotations

import functools
import importlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: functions wrapped as their own stages: (module, attribute path, stage name)
WRAPPED = [
    ("landplan.outputs.tables", "ranked_table", "ranked table"),
    ("landplan.pipeline", "ranked_table", "ranked table"),
    ("landplan.outputs.products", "Render.sensitivity", "sensitivity (Monte-Carlo)"),
    ("landplan.outputs.report", "_context", "report: context, charts, tables"),
    ("landplan.outputs.report", "_cards", "report: score cards"),
    ("landplan.outputs.report", "_maps", "report: static map"),
    ("landplan.outputs.report", "_sensitivity", "report: sensitivity chart"),
    ("landplan.outputs.report_tables", "top_table", "report: top table"),
]


def _status(key: str) -> int:
    """A ``/proc/self/status`` field in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


@dataclass
class Stage:
    """One stage: RSS at its start and end, its sampled peak (MB), wall and CPU seconds."""

    name: str
    start_mb: float
    peak_mb: float
    end_mb: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    _t: float = field(default=0.0, repr=False)
    _c: float = field(default=0.0, repr=False)


class Tracer:
    """Samples the process's RSS and charges it to the current stage (see module docstring)."""

    def __init__(self, *, every_s: float = 0.02) -> None:
        self.stages: list[Stage] = []
        self._stack: list[Stage] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._every = every_s
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            rss = _status("VmRSS") / 1024
            with self._lock:
                for s in self._stack[-1:]:
                    s.peak_mb = max(s.peak_mb, rss)

    def _begin(self, name: str) -> Stage:
        rss = _status("VmRSS") / 1024
        s = Stage(name, rss, rss, _t=time.perf_counter(), _c=time.process_time())
        self.stages.append(s)
        return s

    def _end(self, s: Stage) -> None:
        s.end_mb = _status("VmRSS") / 1024
        s.peak_mb = max(s.peak_mb, s.end_mb)
        s.wall_s += time.perf_counter() - s._t
        s.cpu_s += time.process_time() - s._c

    def progress(self, _frac: float, msg: str) -> None:
        """A pipeline progress callback: a new top-level stage (the previous one ends)."""
        with self._lock:
            while self._stack:
                self._end(self._stack.pop())
            self._stack.append(self._begin(msg))

    @contextmanager
    def nested(self, name: str) -> Iterator[None]:
        """A stage inside the current one (its samples are charged to it, not to the outer one)."""
        with self._lock:
            s = self._begin(name)
            self._stack.append(s)
        try:
            yield
        finally:
            with self._lock:
                self._end(s)
                if s in self._stack:
                    self._stack.remove(s)
                for outer in self._stack[-1:]:
                    outer.peak_mb = max(outer.peak_mb, s.peak_mb)

    def wrap(self) -> None:
        """Wrap :data:`WRAPPED` so each call is a nested stage."""
        for module, attr, name in WRAPPED:
            owner: Any = importlib.import_module(module)
            *path, last = attr.split(".")
            for part in path:
                owner = getattr(owner, part)
            fn = getattr(owner, last)
            setattr(owner, last, self._wrapped(fn, name))

    def _wrapped(self, fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            with self.nested(name):
                return fn(*args, **kwargs)

        return inner

    def __enter__(self) -> Tracer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress(1.0, "end")
        self._stop.set()
        self._thread.join()

    def table(self) -> str:
        """The stages as a printed table, with the process's high-water mark."""
        lines = [f"{'stage':<42} {'start MB':>9} {'peak MB':>9} {'end MB':>9} {'wall s':>8} {'CPU s':>8}"]
        for s in self.stages:
            if s.name == "end":
                continue
            lines.append(
                f"{s.name[:42]:<42} {s.start_mb:>9,.0f} {s.peak_mb:>9,.0f} {s.end_mb:>9,.0f}"
                f" {s.wall_s:>8.1f} {s.cpu_s:>8.1f}"
            )
        lines.append(f"process high-water mark (VmHWM): {_status('VmHWM') / 1024:,.0f} MB")
        return "\n".join(lines)
