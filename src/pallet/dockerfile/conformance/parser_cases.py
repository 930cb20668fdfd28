"""Parser conformance: BuildKit's parser testfiles and the derived heredoc/warning tables.

Layout and rules: ../shared/conformance/FORMATS.md sections 1 and 4 (upstream
frontend/dockerfile/parser/parser_test.go TestParseCases, TestParseLineNumbers,
parser_heredoc_test.go, TestParseWarnsOnEmptyContinutationLine).
"""

from __future__ import annotations

import json
from pathlib import Path

from pallet.dockerfile.conformance import CaseResult
from pallet.dockerfile.dump import dump
from pallet.dockerfile.nodes import Dockerfile
from pallet.dockerfile.parser import parse
from pallet.errors import PalletError

FAMILY = "parser"
# testfile-line: root spans 5..31, children at (5,5), (11,12), (17,31)
LINE_CASE_CHILDREN = ((5, 5), (11, 12), (17, 31))


def run(root: Path) -> list[CaseResult]:
    parser_dir = root / "buildkit" / "parser"
    derived = root / "derived"
    results = [_dump_case(d) for d in _case_dirs(parser_dir / "testfiles")]
    results += [_negative_case(d) for d in _case_dirs(parser_dir / "testfiles-negative")]
    results.append(_line_case(parser_dir / "testfile-line" / "Dockerfile"))
    results += _heredoc_cases(derived / "parser_heredoc", "heredoc")
    results += _heredoc_cases(derived / "parser_heredoc_json", "heredoc_json")
    results.append(_empty_continuation_case(derived / "parser_empty_continuation"))
    return results


def _case_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def _parse_case(path: Path) -> tuple[Dockerfile | None, str]:
    try:
        return parse(path.read_bytes(), path.name), ""
    except PalletError as err:
        return None, f"parse failed: {err.message} (line {getattr(err, 'line', None)})"
    except Exception as err:  # a crash is a failure to report, not to propagate
        return None, f"crashed: {type(err).__name__}: {err}"


def _dump_case(case: Path) -> CaseResult:
    dockerfile, problem = _parse_case(case / "Dockerfile")
    if dockerfile is None:
        return CaseResult(FAMILY, case.name, False, problem)
    expected = (case / "result").read_bytes()
    got = (dump(dockerfile) + "\n").encode("utf-8", "surrogateescape")
    detail = "" if got == expected else f"expected {expected!r}, got {got!r}"
    return CaseResult(FAMILY, case.name, got == expected, detail)


def _negative_case(case: Path) -> CaseResult:
    name = f"negative/{case.name}"
    try:
        parse((case / "Dockerfile").read_bytes())
    except PalletError:
        return CaseResult(FAMILY, name, True)
    except Exception as err:
        return CaseResult(FAMILY, name, False, f"crashed: {type(err).__name__}: {err}")
    return CaseResult(FAMILY, name, False, "parsed, but BuildKit rejects this file")


def _line_case(path: Path) -> CaseResult:
    dockerfile, problem = _parse_case(path)
    if dockerfile is None:
        return CaseResult(FAMILY, "testfile-line", False, problem)
    spans = tuple((n.start_line, n.end_line) for n in dockerfile.nodes)
    root = (spans[0][0], spans[-1][1]) if spans else None
    ok = spans == LINE_CASE_CHILDREN and root == (5, 31)
    return CaseResult(FAMILY, "testfile-line", ok, "" if ok else f"got spans {spans}")


def _heredoc_cases(folder: Path, family: str) -> list[CaseResult]:
    expected = json.loads((folder / "expected.json").read_text())
    dockerfile, problem = _parse_case(folder / "Dockerfile")
    if dockerfile is None:
        return [CaseResult(family, folder.name, False, problem)]
    return [_heredoc_check(dockerfile, case, family) for case in expected["cases"]]


def _heredoc_check(dockerfile: Dockerfile, case: dict, family: str) -> CaseResult:
    index = case["child_index"]
    name = f"child {index}"
    if index >= len(dockerfile.nodes):
        return CaseResult(family, name, False, f"only {len(dockerfile.nodes)} instructions")
    got = [
        {"name": h.name, "content": h.content, "expand": h.expand, "chomp": h.chomp, "fd": h.fd}
        for h in dockerfile.nodes[index].heredocs
    ]
    want = case["heredocs"] or []
    detail = "" if got == want else f"expected {want}, got {got}"
    return CaseResult(family, name, got == want, detail)


def _empty_continuation_case(folder: Path) -> CaseResult:
    name = "empty_continuation"
    expected = json.loads((folder / "expected.json").read_text())
    dockerfile, problem = _parse_case(folder / "Dockerfile")
    if dockerfile is None:
        return CaseResult(FAMILY, name, False, problem)
    warnings = dockerfile.warnings
    if len(warnings) != expected["expected_warning_count"]:
        return CaseResult(FAMILY, name, False, f"got {len(warnings)} warnings")
    for warning, substrings in zip(warnings, expected["expected_substrings"]):
        text = f"{warning.message} found in: {_instruction_at(dockerfile, warning.ranges[0].start)}"
        missing = [s for s in substrings if s not in text]
        if missing:
            return CaseResult(FAMILY, name, False, f"warning {text!r} lacks {missing}")
    return CaseResult(FAMILY, name, True)


def _instruction_at(dockerfile: Dockerfile, line: int) -> str:
    """The logical line of the instruction a warning's line belongs to."""
    for node in dockerfile.nodes:
        if node.start_line <= line <= node.end_line:
            return node.original
    return ""
