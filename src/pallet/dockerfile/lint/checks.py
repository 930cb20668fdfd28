"""`--check`: run BuildKit's lint rules over a staged Dockerfile.

Each rule fires where BuildKit fires it: parse warnings (NoEmptyContinuation), the
instruction parser (StageNameCasing, FromAsCasing, MaintainerDeprecated, ENV's
LegacyKeyValueFormat), stage validation (DuplicateStageName, ReservedStageName,
ConsistentInstructionCasing), FROM expansion (lint/from_checks.py) and dispatch
(lint/stage_checks.py). Without a target every stage is checked, as BuildKit's
DockerfileLint does.
"""

from __future__ import annotations

from dataclasses import dataclass

from pallet.dockerfile.lint import rules as R
from pallet.dockerfile.lint.directive import CheckConfig, Linter, check_config_for
from pallet.dockerfile.nodes import Warning
from pallet.errors import PalletError

RESERVED_STAGE_NAMES = ("context", "scratch")


@dataclass
class CheckResult:
    warnings: list[Warning]
    error: PalletError | None  # the build error BuildKit would report after the warnings
    config: CheckConfig
    plan: object = None  # the BuildPlan, when resolving the target worked


def check(staged, *, target: str | None = None, build_args: dict[str, str] | None = None,
          ignore_matcher=None, build_platform=None, target_platform=None,
          config: CheckConfig | None = None) -> list[Warning]:
    """Every lint warning for the Dockerfile, sorted by line; raises what resolve raises."""
    result = run_checks(staged, target=target, build_args=build_args,
                        ignore_matcher=ignore_matcher, build_platform=build_platform,
                        target_platform=target_platform, config=config)
    if result.error is not None:
        raise result.error
    return result.warnings


def run_checks(staged, *, target=None, build_args=None, ignore_matcher=None,
               build_platform=None, target_platform=None, config=None) -> CheckResult:
    from pallet.dockerfile.frontend import resolve
    from pallet.dockerfile.lint import stage_checks

    config = config or check_config_for(staged.dockerfile, build_args)
    linter = Linter(config)
    error = plan = None
    parse_time_checks(staged, linter)
    try:
        plan = resolve(staged, target, build_args, build_platform, target_platform, linter)
        indexes = None if not target else {s.index for s in plan.stages}
        stage_checks.dispatch_checks(staged, plan, indexes, linter, ignore_matcher)
    except PalletError as e:
        error = e
    warnings = sorted(linter.warnings, key=lambda w: w.ranges[0].start if w.ranges else 0)
    return CheckResult(warnings, error, config, plan)


def parse_time_checks(staged, linter: Linter) -> None:
    for w in staged.dockerfile.warnings:
        if w.rule.startswith("NoEmptyContinuation"):
            linter.report(R.NO_EMPTY_CONTINUATION, w.ranges)
    for st in staged.stages:
        _check_from(st, linter)
        for inst in st.commands:
            _check_parsed(inst, linter)
    _check_stage_names(staged.stages, linter)
    _check_casing(staged.stages, linter)


def _check_from(st, linter: Linter) -> None:
    node = st.node
    if st.orig_name and st.orig_name != st.orig_name.lower():
        linter.report(R.STAGE_NAME_CASING, node.range, st.orig_name)
    keyword = node.raw_keyword or "FROM"
    if len(node.args) >= 3 and not _as_matches_from(keyword, node.args[1]):
        linter.report(R.FROM_AS_CASING, node.range, keyword, node.args[1])


def _as_matches_from(keyword: str, as_word: str) -> bool:
    if keyword == keyword.lower():
        return as_word == as_word.lower()
    if keyword == keyword.upper():
        return as_word == as_word.upper()
    return True  # mixed-case FROM is ConsistentInstructionCasing's business


def _check_parsed(inst, linter: Linter) -> None:
    kind = type(inst).__name__
    if kind == "Maintainer":
        linter.report(R.MAINTAINER_DEPRECATED, inst.node.range)
    elif kind == "Env":
        for kv in inst.pairs:
            if kv.legacy:
                linter.report(R.LEGACY_KEY_VALUE_FORMAT, inst.node.range, _raw(inst.node))


def _raw(node) -> str:
    return node.raw_keyword or node.keyword.upper()


def _check_stage_names(stages, linter: Linter) -> None:
    seen: set[str] = set()
    for st in stages:
        if not st.name:
            continue
        if st.name in RESERVED_STAGE_NAMES:
            linter.report(R.RESERVED_STAGE_NAME, st.node.range, st.name)
        if st.name in seen:
            linter.report(R.DUPLICATE_STAGE_NAME, st.node.range, st.name)
        seen.add(st.name)


def _check_casing(stages, linter: Linter) -> None:
    """ConsistentInstructionCasing: each word all-lower or all-upper, like the majority."""
    words = [(_raw(st.node), st.node.range) for st in stages]
    words += [(_raw(i.node), i.node.range) for st in stages for i in st.commands]
    lower = sum(1 for w, _ in words if w == w.lower() and w != w.upper())
    upper = sum(1 for w, _ in words if w == w.upper() and w != w.lower())
    majority_lower = lower > upper
    for word, rng in words:
        if majority_lower and word != word.lower():
            linter.report(R.CONSISTENT_INSTRUCTION_CASING, rng, word, "lowercase")
        elif not majority_lower and word != word.upper():
            linter.report(R.CONSISTENT_INSTRUCTION_CASING, rng, word, "uppercase")
