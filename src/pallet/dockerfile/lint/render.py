"""Printing lint warnings the way buildx prints them.

`--check`: BuildKit's `subrequests/lint/lint.go` (Warning.PrintTo) with the snippet of
`solver/errdefs/source.go` (Source.Print), then buildx's "Check complete" line. During a
normal build: buildx's summary (`N warnings found (use docker --debug to expand):`).
"""

from __future__ import annotations

from pallet.errors import SourceFile


def format_warning(w, source: SourceFile) -> str:
    head = f"\nWARNING: {w.rule}" + (f" - {w.url}" if w.url else "") + f"\n{w.message}\n"
    return head + snippet(source, w.ranges)


def snippet(source: SourceFile, ranges) -> str:
    """Source.Print: 4 lines of context for one line, 2 for a range."""
    lines = source.text.split("\n")
    if not ranges:
        return ""
    start = min(r.start for r in ranges)
    end = max(r.end for r in ranges)
    if start > len(lines) or start < 1:
        return ""
    end = min(end, len(lines))
    first = start
    start, end = _pad(start, end, len(lines))
    out = [f"{source.name}:{first}", "-" * 20]
    for i in range(start, end + 1):
        mark = ">>>" if any(r.start <= i <= max(r.end, r.start) for r in ranges) else "   "
        out.append(f" {i:3d} | {mark} {lines[i - 1]}")
    out.append("-" * 20)
    return "\n".join(out) + "\n"


def _pad(start: int, end: int, count: int) -> tuple[int, int]:
    pad = 4 if start == end else 2
    p = 0
    while p < pad:
        if start > 1:
            start -= 1
            p += 1
        if end != count:
            end += 1
            p += 1
        p += 1
    return start, end


def format_check_report(warnings, source: SourceFile) -> str:
    text = "".join(format_warning(w, source) for w in warnings)
    n = len(warnings)
    if n == 0:
        return text + "Check complete, no warnings found.\n"
    found = "1 warning has been found!" if n == 1 else f"{n} warnings have been found!"
    return text + f"Check complete, {found}\n"


def format_build_warnings(warnings) -> str:
    """The summary buildx prints after a build."""
    if not warnings:
        return ""
    n = len(warnings)
    lines = [f"{n} warning{'s' if n != 1 else ''} found (use docker --debug to expand):"]
    for w in warnings:
        line = f" (line {w.ranges[0].start})" if w.ranges else ""
        lines.append(f" - {w.rule}: {w.message}{line}")
    return "\n".join(lines) + "\n"
