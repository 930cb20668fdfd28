"""BuildKit's `--progress=plain` format (buildx util/progress/printer.go, plain mode).

    #5 [build 2/4] RUN make
    #5 0.312 compiling...
    #5 DONE 1.2s

A vertex whose output interleaves with another's gets its header line again before its
next line, as BuildKit does, so every block stays attributable.
"""

from __future__ import annotations

from typing import TextIO

from pallet.progress.events import Vertex


class PlainWriter:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._current: Vertex | None = None

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _switch_to(self, v: Vertex) -> None:
        if self._current is not v:
            if self._current is not None:
                self._write("\n")
            self._write(f"#{v.number} {v.name}\n")
            self._current = v

    def on_start(self, v: Vertex) -> None:
        self._switch_to(v)

    def on_log(self, v: Vertex, offset: float, line: str) -> None:
        self._switch_to(v)
        self._write(f"#{v.number} {offset:.3f} {line}\n")

    def on_status(self, v: Vertex, text: str) -> None:
        self._switch_to(v)
        self._write(f"#{v.number} {text}\n")

    def on_done(self, v: Vertex) -> None:
        self._switch_to(v)
        if v.error is not None:
            self._write(f"#{v.number} ERROR: {v.error}\n")
        elif v.cached:
            self._write(f"#{v.number} CACHED\n")
        else:
            self._write(f"#{v.number} DONE {v.duration:.1f}s\n")
        self._write("\n")
        self._current = None

    def close(self) -> None:
        pass
