"""FROM-line expansion and the lint rules BuildKit runs while doing it.

BuildKit `dockerfile2llb/convert.go`: the FROM loop of toDispatchState, with
reportUnusedFromArgs, reportRedundantTargetPlatform, reportConstPlatformDisallowed and
validateBaseImagesWithDefaultArgs.
"""

from __future__ import annotations

from pallet.dockerfile.args import build_meta_args
from pallet.dockerfile.lint import rules as R
from pallet.dockerfile.suggest import closest
from pallet.errors import DockerfileError, PalletError, StageError


def expand_base(st, lex, env, known: set[str], linter):
    """The expanded FROM word and the args it used."""
    result = _expand(lex, st.base, env, st)
    _report_undefined(result.unmatched, known, st, linter)
    if result.value == "":
        raise StageError(f"base name ({st.base}) should not be blank", ranges=[st.node.range])
    return result.value, result.matched


def expand_platform(st, lex, env, known: set[str], linter):
    """The expanded, parsed --platform value (or None) and the args it used."""
    if not st.platform:
        return None, frozenset()
    result = _expand(lex, st.platform, env, st)
    _report_undefined(result.unmatched, known, st, linter)
    _report_redundant_target_platform(st, result, env, linter)
    _report_const_platform(st, result, linter)
    if result.value == "":
        raise StageError(f"empty platform value from expression {st.platform}"
                         + _suggest_any(result.unmatched, env), ranges=[st.node.range])
    return _parse_platform(st, result, env), result.matched


def _parse_platform(st, result, env) -> str:
    from pallet.image.platform import parse_platform

    try:
        return str(parse_platform(result.value))
    except (PalletError, ValueError) as e:
        message = getattr(e, "message", str(e))
        raise StageError(f"failed to parse platform {st.platform}: {message}"
                         + _suggest_any(result.unmatched, env), ranges=[st.node.range]) from None


def invalid_default_bases(staged, lex, env, linter) -> None:
    """InvalidDefaultArgInFrom: the base names the global ARG defaults alone would give."""
    if not linter.enabled(R.INVALID_DEFAULT_ARG_IN_FROM):
        return
    from pallet.dockerfile.targets import reference_error

    try:
        defaults, _ = build_meta_args(env, lex, staged.meta_args, {})
        for st in staged.stages:
            value = lex.expand_with_matches(st.base, defaults).value
            if reference_error(value):
                linter.report(R.INVALID_DEFAULT_ARG_IN_FROM, st.node.range, st.base)
    except DockerfileError:
        return  # the real expansion fails later with the same error


def _expand(lex, word, env, st):
    try:
        return lex.expand_with_matches(word, env)
    except DockerfileError as e:
        if not e.ranges:
            e.ranges = [st.node.range]
        raise


def _report_undefined(unmatched, known, st, linter) -> None:
    for name in sorted(unmatched):
        if name in known:
            continue
        match = closest(name, known, case_sensitive=True)
        hint = f" (did you mean {match}?)" if match else ""
        linter.report(R.UNDEFINED_ARG_IN_FROM, st.node.range, name, hint)


def _report_redundant_target_platform(st, result, env, linter) -> None:
    if len(result.matched) != 1 or result.unmatched or "TARGETPLATFORM" not in result.matched:
        return
    if result.value == env.get("TARGETPLATFORM"):
        linter.report(R.REDUNDANT_TARGET_PLATFORM, st.node.range, st.platform)


def _report_const_platform(st, result, linter) -> None:
    if result.matched or result.unmatched:
        return
    try:
        from pallet.image.platform import parse_platform

        p = parse_platform(result.value)
    except Exception:  # noqa: BLE001 - a bad platform fails later with its own error
        return
    name = st.name or ""
    if _field(p, "os") in name or _field(p, "architecture") in name:
        return
    linter.report(R.FROM_PLATFORM_FLAG_CONST_DISALLOWED, st.node.range, result.value)


def _field(p, name: str) -> str:
    return getattr(p, name, "") or getattr(p, name[:4], "") or "\0"


def _suggest_any(unmatched, env) -> str:
    for name in sorted(unmatched):
        match = closest(name, env, case_sensitive=True)
        if match:
            return f' (did you mean "{match}"?)'
    return ""
