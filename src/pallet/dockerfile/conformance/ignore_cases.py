"""moby/patternmatcher's own tables (derived/patternmatcher_cases.json), run against
pallet.dockerfile.dockerignore.

Each table of the JSON file says which upstream API produced it (its `api`/`note` fields):
- single, multi, unix_only, observed_extra: MatchesOrParentMatches -> `PatternMatcher.matches`.
- legacy_matches: the deprecated Matches(file, patterns), which checks only the parent prefix
  with as many components as the pattern. For every path in the table that gives the same
  answer as MatchesOrParentMatches, so `matches` is held to it; `error` means the constructor
  or the match must raise IgnorePatternError.
- compile_kinds: the match type and RE2 text a cleaned pattern compiles to (`compile_pattern`).
- constructor_errors: the messages of patternmatcher.New, and a pattern New accepts that every
  match call then rejects.
- ignorefile_readall: `read_ignore_file`.
- buildkit_integration: dockerfile_dockerignore_test.go, end to end through `walk_context`.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from pallet.dockerfile.conformance import CaseResult
from pallet.dockerfile.dockerignore import (
    PatternMatcher,
    compile_pattern,
    load_matcher,
    read_ignore_file,
    walk_context,
)
from pallet.errors import IgnorePatternError

FAMILY = "dockerignore"
CASES_FILE = Path("derived") / "patternmatcher_cases.json"


def run(root: Path) -> list[CaseResult]:
    data = json.loads((root / CASES_FILE).read_text(encoding="utf-8"))
    results: list[CaseResult] = []
    for table in ("single", "multi", "unix_only"):
        results += _run_table(table, data[table], _check_match)
    results += _run_table("observed_extra", data["observed_extra"]["cases"], _check_match)
    results += _run_table("legacy_matches", data["legacy_matches"], _check_legacy)
    results += _run_table("compile_kinds", data["compile_kinds"]["cases"], _check_kind)
    results += _run_table("constructor_errors", data["constructor_errors"], _check_constructor)
    results += _run_table("ignorefile_readall", data["ignorefile_readall"]["cases"], _check_readall)
    builds = data["buildkit_integration"]["cases"]
    results += _run_table("buildkit_integration", builds, _check_build)
    return results


def _run_table(table: str, cases: list[dict], check: Callable[[dict], str]) -> list[CaseResult]:
    results = []
    for number, case in enumerate(cases):
        try:
            detail = check(case)
        except Exception as e:  # a crash is a failed case, not a crashed runner
            detail = f"raised {type(e).__name__}: {e}"
        results.append(CaseResult(FAMILY, f"{table}:{number}", not detail, detail))
    return results


def _check_match(case: dict) -> str:
    got = PatternMatcher(case["patterns"]).matches(case["path"])
    return _differs(case, case["match"], got)


def _check_legacy(case: dict) -> str:
    try:
        got, error = PatternMatcher(case["patterns"]).matches(case["path"]), False
    except IgnorePatternError:
        got, error = False, True
    return _differs(case, (case["match"], case["error"]), (got, error))


def _check_kind(case: dict) -> str:
    compiled = compile_pattern(case["pattern"])
    got = (compiled.kind, compiled.regex or None)
    return _differs(case, (case["kind"], case["regex_slash"]), got)


def _check_constructor(case: dict) -> str:
    want = case["error"]
    try:
        matcher = PatternMatcher(case["patterns"])
    except IgnorePatternError as e:
        return "" if want and want.split(" (")[0] in e.message else _differs(case, want, e.message)
    if want:
        return _differs(case, want, "no error")
    # accepted, but unusable: every match must fail the same way, and keep failing
    outcomes = [_match_error(matcher, "any/path") for _ in range(2)]
    ok = all(o and "syntax error in pattern" in o for o in outcomes)
    return "" if ok else _differs(case, "syntax error on every match", outcomes)


def _match_error(matcher: PatternMatcher, path: str) -> str:
    try:
        matcher.matches(path)
    except IgnorePatternError as e:
        return e.message
    return ""


def _check_readall(case: dict) -> str:
    return _differs(case, case["output"], read_ignore_file(case["input"]))


def _check_build(case: dict) -> str:
    if "context_files" in case:
        return _check_copied(case)
    if "dockerignore" in case:
        return _check_build_fails(case)
    return _check_per_dockerfile(case)


def _check_copied(case: dict) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp)
        for name in case["context_files"]:
            (context / name).write_text("contents\n")
        (context / ".dockerignore").write_text(case["dockerignore"])
        got = sorted(walk_context(context, load_matcher(context, context / "Dockerfile")))
    return _differs(case, sorted(case["copied"]), got)


def _check_build_fails(case: dict) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp)
        (context / ".dockerignore").write_text(case["dockerignore"])
        try:
            load_matcher(context, context / "Dockerfile")
        except IgnorePatternError:
            return ""
    return _differs(case, "IgnorePatternError", "no error")


def _check_per_dockerfile(case: dict) -> str:
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp)
        for name in ("Dockerfile", "Dockerfile2", "foo", "bar"):
            (context / name).write_text("contents\n")
        for key, value in case.items():
            if key.endswith(".dockerignore"):
                (context / key).write_text(value + "\n")
        for key, value in case.items():
            if key.startswith("build "):
                dockerfile = context / key.removeprefix("build ")
                kept = set(walk_context(context, load_matcher(context, dockerfile)))
                problems += _presence_problems(key, value, kept)
    return "; ".join(problems)


def _presence_problems(build: str, expectation: str, kept: set[str]) -> list[str]:
    """Check an expectation written as "foo present, bar absent"."""
    problems = []
    for name, state in re.findall(r"(\S+) (present|absent)", expectation):
        if (name in kept) != (state == "present"):
            problems.append(f"{build}: expected {name} {state}, got {sorted(kept)}")
    return problems


def _differs(case: dict, want: object, got: object) -> str:
    if want == got:
        return ""
    return f"{json.dumps(case, ensure_ascii=False)}: expected {want!r}, got {got!r}"
