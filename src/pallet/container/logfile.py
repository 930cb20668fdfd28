"""The container's output as docker's json-file log driver keeps it.

One JSON object per line: {"log": "text\\n", "stream": "stdout", "time": "...Z"} with
RFC 3339 nanosecond UTC times (daemon/logger/jsonfilelog). Output is split into lines
as it comes; a piece without a newline is held until the newline or the end (docker
also cuts at 16 KiB so one huge line cannot eat memory).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

MAX_LINE = 16 * 1024


def rfc3339_nano(now: float | None = None) -> str:
    ns = time.time_ns() if now is None else int(now * 1e9)
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


class LogWriter:
    """Appends a stream's bytes to the json-file log, one entry per line."""

    def __init__(self, path: Path) -> None:
        self._file: BinaryIO = open(path, "ab", buffering=0)
        self._pending: dict[str, bytes] = {}

    def write(self, stream: str, data: bytes) -> None:
        buf = self._pending.get(stream, b"") + data
        while True:
            cut = buf.find(b"\n")
            if cut < 0 and len(buf) < MAX_LINE:
                break
            end = min(cut + 1, MAX_LINE) if cut >= 0 else MAX_LINE
            self._entry(stream, buf[:end])
            buf = buf[end:]
        self._pending[stream] = buf

    def close(self) -> None:
        for stream, rest in self._pending.items():
            if rest:
                self._entry(stream, rest)
        self._pending.clear()
        self._file.close()

    def _entry(self, stream: str, line: bytes) -> None:
        entry = {"log": line.decode("utf-8", "replace"), "stream": stream, "time": rfc3339_nano()}
        self._file.write(json.dumps(entry).encode() + b"\n")


@dataclass(frozen=True)
class LogEntry:
    stream: str
    text: str
    time: str


def read_entries(path: Path, tail: int | None = None) -> list[LogEntry]:
    """Every entry (or the last `tail`); a missing log has none."""
    try:
        with open(path, "rb") as f:
            entries = list(_parse(f.read().splitlines()))
    except FileNotFoundError:
        return []
    if tail is not None:
        entries = entries[-tail:] if tail > 0 else []
    return entries


def follow_entries(path: Path, offset: int, keep_going) -> Iterator[LogEntry]:
    """Entries appended after byte `offset`, until `keep_going()` is false and the file is drained."""
    pending = b""
    with open(path, "rb") as f:
        f.seek(offset)
        while True:
            chunk = f.read(65536)
            if chunk:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                yield from _parse(lines)
                continue
            if not keep_going():
                yield from _parse((pending + f.read()).split(b"\n"))
                return
            time.sleep(0.1)


def _parse(lines) -> Iterator[LogEntry]:
    for raw in lines:
        if not raw.strip():
            continue
        try:
            d = json.loads(raw)
        except ValueError:
            continue  # a torn last line while the writer is mid-write
        yield LogEntry(d.get("stream", "stdout"), d.get("log", ""), d.get("time", ""))


def log_size(path: Path) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0
