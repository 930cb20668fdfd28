"""Run BuildKit's own frontend test data against pallet.

`python -m pallet.dockerfile.conformance DIR`, where DIR is laid out like
../shared/conformance (see its FORMATS.md). Each family of cases lives in its own module
with a `run(root) -> list[CaseResult]`; this module collects them, prints each failure and
ends with the line `N passed, N failed`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class CaseResult:
    family: str  # "parser", "heredoc", "envVarTest", ...
    name: str  # which case: a directory name or "file:line"
    ok: bool
    detail: str = ""  # for a failure: expected vs got


FAMILIES = ("parser_cases", "shell_cases", "ignore_cases")


def run_all(root: Path) -> list[CaseResult]:
    from importlib import import_module

    results: list[CaseResult] = []
    for name in FAMILIES:
        module = import_module(f"{__name__}.{name}")
        results.extend(module.run(root))
    return results


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m pallet.dockerfile.conformance DIR", file=sys.stderr)
        return 2
    root = Path(args[0])
    if not root.is_dir():
        print(f"error: {root} is not a directory", file=sys.stderr)
        return 2
    results = run_all(root)
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"FAIL {r.family} {r.name}: {r.detail}")
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed or not results else 0
