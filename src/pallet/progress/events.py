"""Progress events: the solver calls Progress; a writer renders them."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(eq=False)
class Vertex:
    """One step as the user sees it; `number` is BuildKit's `#N`."""

    number: int
    name: str
    started: float = 0.0
    finished: float = 0.0
    cached: bool = False
    error: str | None = None
    logs: list[str] = field(default_factory=list)  # last output lines, for error messages

    @property
    def duration(self) -> float:
        return max(0.0, (self.finished or time.monotonic()) - self.started)


class Writer(Protocol):
    def on_start(self, v: Vertex) -> None: ...
    def on_log(self, v: Vertex, offset: float, line: str) -> None: ...
    def on_status(self, v: Vertex, text: str) -> None: ...
    def on_done(self, v: Vertex) -> None: ...
    def close(self) -> None: ...


KEEP_LOG_LINES = 20


class Progress:
    """Thread-safe event hub: numbers vertices and forwards events to one writer."""

    def __init__(self, writer: Writer | None) -> None:
        self.writer = writer
        self._lock = threading.Lock()
        self._count = 0

    def vertex(self, name: str) -> Vertex:
        with self._lock:
            self._count += 1
            v = Vertex(self._count, name, started=time.monotonic())
            if self.writer:
                self.writer.on_start(v)
        return v

    def log(self, v: Vertex, line: str) -> None:
        with self._lock:
            offset = time.monotonic() - v.started
            v.logs.append(f"{offset:.3f} {line}")  # as BuildKit's error summary shows them
            del v.logs[:-KEEP_LOG_LINES]
            if self.writer:
                self.writer.on_log(v, offset, line)

    def status(self, v: Vertex, text: str) -> None:
        with self._lock:
            if self.writer:
                self.writer.on_status(v, text)

    def done(self, v: Vertex, *, cached: bool = False, error: str | None = None) -> None:
        with self._lock:
            v.finished = time.monotonic()
            v.cached = cached
            v.error = error
            if self.writer:
                self.writer.on_done(v)

    def close(self) -> None:
        with self._lock:
            if self.writer:
                self.writer.close()
