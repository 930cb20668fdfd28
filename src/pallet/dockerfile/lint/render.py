"""Printing lint warnings the way buildx prints them.

`--check`: BuildKit's `subrequests/lint/lint.go` (Warning.PrintTo) with the snippet of
`solver/errdefs/source.go` (Source.Print), then buildx's "Check complete" line. During a
normal build: buildx's summary (`N warnings found (run pallet build --check for details):`).
"""

from __future__ import annotations

from pallet.errors import SourceFile, render_snippet


def format_warning(w, source: SourceFile) -> str:
    head = f"\nWARNING: {w.rule}" + (f" - {w.url}" if w.url else "") + f"\n{w.message}\n"
    text = render_snippet(source, w.ranges)
    return head + (text + "\n" if text else "")


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
    lines = [f"{n} warning{'s' if n != 1 else ''} found (run pallet build --check for details):"]
    for w in warnings:
        line = f" (line {w.ranges[0].start})" if w.ranges else ""
        lines.append(f" - {w.rule}: {w.message}{line}")
    return "\n".join(lines) + "\n"
