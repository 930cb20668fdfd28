"""The `# check=` directive and the BUILDKIT_DOCKERFILE_CHECK build arg, and the linter
that honours them.

Matches BuildKit's `linter/linter.go` (ParseLintOptions, Linter.Run, Linter.Error): options
are `skip=Rule1,Rule2` or `skip=all`, `error=true|false` and `experimental=Rule|all`,
separated by `;`. The build arg, when given, replaces the directive entirely
(`frontend/dockerui/config.go`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pallet.dockerfile.lint.rules import Rule
from pallet.dockerfile.nodes import Dockerfile, Warning
from pallet.errors import BuildArgError, LintError, ParseError, Range

CHECK_BUILD_ARG = "BUILDKIT_DOCKERFILE_CHECK"
_TRUE = {"1", "t", "T", "true", "TRUE", "True"}
_FALSE = {"0", "f", "F", "false", "FALSE", "False"}


@dataclass(frozen=True, slots=True)
class CheckConfig:
    skip: frozenset[str] = frozenset()
    skip_all: bool = False
    error: bool = False
    experimental: frozenset[str] = frozenset()


class CheckOptionError(ValueError):
    """A malformed check option; callers turn it into a located PalletError."""


def parse_check_config(value: str | None) -> CheckConfig:
    value = (value or "").strip()
    if not value:
        return CheckConfig()
    opts: dict = {}
    for part in value.split(";"):
        key, sep, val = part.partition("=")
        if not sep:
            raise CheckOptionError(f'invalid check option "{part}"')
        _apply_option(opts, key.strip(), val.strip(), part)
    return CheckConfig(**opts)


def _apply_option(opts: dict, key: str, val: str, part: str) -> None:
    if key == "skip":
        if val == "all":
            opts["skip_all"] = True
        else:
            opts["skip"] = frozenset(r.strip() for r in val.split(","))
    elif key == "error":
        if val not in _TRUE | _FALSE:
            raise CheckOptionError(
                f'failed to parse check option "{part}": strconv.ParseBool: parsing '
                f'"{val}": invalid syntax'
            )
        opts["error"] = val in _TRUE
    elif key == "experimental":
        opts["experimental"] = frozenset(r.strip() for r in val.split(","))
    else:
        raise CheckOptionError(f'invalid check option "{key}"')


def check_config_for(dockerfile: Dockerfile, build_args: dict[str, str] | None) -> CheckConfig:
    """The effective config: the build arg wins over the `# check=` directive."""
    build_args = build_args or {}
    if CHECK_BUILD_ARG in build_args:
        try:
            return parse_check_config(build_args[CHECK_BUILD_ARG])
        except CheckOptionError as e:
            raise BuildArgError(f"failed to parse check options: {e}") from None
    try:
        return parse_check_config(dockerfile.directives.check)
    except CheckOptionError as e:
        line = dockerfile.directives.lines.get("check", 1)
        raise ParseError(
            f"failed to parse check options: {e}",
            ranges=[Range(line, line)],
            source=dockerfile.source,
        ) from None


@dataclass
class Linter:
    """Collects warnings for the rules the config lets through."""

    config: CheckConfig = field(default_factory=CheckConfig)
    warnings: list[Warning] = field(default_factory=list)

    def enabled(self, rule: Rule) -> bool:
        c = self.config
        if c.skip_all or rule.name in c.skip:
            return False
        if rule.experimental:
            return "all" in c.experimental or rule.name in c.experimental
        return True

    def report(self, rule: Rule, ranges, *args: str) -> None:
        if not self.enabled(rule):
            return
        rs = tuple(ranges) if isinstance(ranges, (list, tuple)) else (ranges,)
        self.warnings.append(Warning(rule.name, rule.message(*args), rs, rule.url))

    def error(self) -> LintError | None:
        """BuildKit's Linter.Error: only when error=true and something was reported."""
        if not self.config.error or not self.warnings:
            return None
        names = ", ".join(sorted({w.rule for w in self.warnings}))
        return LintError(f"lint violation found for rules: {names}")


class NullLinter(Linter):
    """A linter that drops everything: resolve() without --check."""

    def report(self, rule: Rule, ranges, *args: str) -> None:
        return None
