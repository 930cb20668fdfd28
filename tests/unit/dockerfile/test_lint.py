"""`--check` rules, the `# check=` directive and the warning printout."""

from __future__ import annotations

import pytest

from pallet.dockerfile.frontend import stage
from pallet.dockerfile.lint.checks import check, run_checks
from pallet.dockerfile.lint.directive import CheckOptionError, parse_check_config
from pallet.dockerfile.lint.render import format_check_report
from pallet.dockerfile.lint.rules import ALL_RULES
from pallet.dockerfile.parser import parse
from pallet.errors import BuildArgError, ParseError


def warnings_of(text: str, **kw):
    result = run_checks(stage(parse(text)), **kw)
    return [(w.rule, w.message, w.ranges[0].start) for w in result.warnings]


RULE_CASES = [
    ("StageNameCasing", "FROM alpine AS Build\n",
     ("StageNameCasing", "Stage name 'Build' should be lowercase", 1)),
    ("FromAsCasing", "FROM alpine as build\n",
     ("FromAsCasing", "'as' and 'FROM' keywords' casing do not match", 1)),
    ("NoEmptyContinuation", "FROM alpine\nRUN echo \\\n\n  hi\n",
     ("NoEmptyContinuation", "Empty continuation line", 4)),
    ("ConsistentInstructionCasing", "FROM alpine\nRUN a\nrun b\n",
     ("ConsistentInstructionCasing",
      "Command 'run' should match the case of the command majority (uppercase)", 3)),
    ("DuplicateStageName", "FROM alpine AS a\nFROM alpine AS a\n",
     ("DuplicateStageName", 'Duplicate stage name "a", stage names should be unique', 2)),
    ("ReservedStageName", "FROM alpine AS scratch\n",
     ("ReservedStageName",
      'Stage name should not use the same name as reserved stage "scratch"', 1)),
    ("JSONArgsRecommended", "FROM alpine\nCMD echo hi\n",
     ("JSONArgsRecommended", "JSON arguments recommended for CMD to prevent unintended "
      "behavior related to OS signals", 2)),
    ("MaintainerDeprecated", "FROM alpine\nMAINTAINER me\n",
     ("MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label", 2)),
    ("UndefinedArgInFrom", "ARG VERSION=1\nFROM alpine:$VERSIN\n",
     ("UndefinedArgInFrom", "FROM argument 'VERSIN' is not declared (did you mean VERSION?)",
      2)),
    ("WorkdirRelativePath", "FROM alpine\nWORKDIR app\n",
     ("WorkdirRelativePath",
      'Relative workdir "app" can have unexpected results if the base image changes', 2)),
    ("UndefinedVar", "FROM scratch\nENV FOO=1\nENV BAR=$FO\n",
     ("UndefinedVar", "Usage of undefined variable '$FO' (did you mean $FOO?)", 3)),
    ("MultipleInstructionsDisallowed", 'FROM alpine\nCMD ["a"]\nCMD ["b"]\n',
     ("MultipleInstructionsDisallowed", "Multiple CMD instructions should not be used in the "
      "same stage because only the last one will be used", 2)),
    ("LegacyKeyValueFormat", "FROM alpine\nENV A 1\n",
     ("LegacyKeyValueFormat",
      '"ENV key=value" should be used instead of legacy "ENV key value" format', 2)),
    ("RedundantTargetPlatform", "FROM --platform=$TARGETPLATFORM alpine\n",
     ("RedundantTargetPlatform", "Setting platform to predefined $TARGETPLATFORM in FROM is "
      "redundant as this is the default behavior", 1)),
    ("SecretsUsedInArgOrEnv", "FROM alpine\nARG GITHUB_TOKEN\n",
     ("SecretsUsedInArgOrEnv",
      'Do not use ARG or ENV instructions for sensitive data (ARG "GITHUB_TOKEN")', 2)),
    ("InvalidDefaultArgInFrom", "ARG TAG\nFROM alpine:$TAG\n",
     ("InvalidDefaultArgInFrom",
      "Default value for ARG alpine:$TAG results in empty or invalid base image name", 2)),
    ("FromPlatformFlagConstDisallowed", "FROM --platform=linux/amd64 alpine\n",
     ("FromPlatformFlagConstDisallowed",
      'FROM --platform flag should not use constant value "linux/amd64"', 1)),
    ("ExposeProtoCasing", "FROM alpine\nEXPOSE 80/TCP\n",
     ("ExposeProtoCasing", "Defined protocol '80/TCP' in EXPOSE instruction should be "
      "lowercase", 2)),
    ("ExposeInvalidFormat", "FROM alpine\nEXPOSE 8080:80\n",
     ("ExposeInvalidFormat", "EXPOSE instruction should not define an IP address or host-port "
      "mapping, found '8080:80'", 2)),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in RULE_CASES],
                         ids=[c[0] for c in RULE_CASES])
def test_rule_fires_with_buildkit_message(text, expected):
    assert expected in warnings_of(text, build_args={"TAG": "3"})


def test_every_rule_has_a_docs_url():
    assert all(r.url.startswith("https://docs.docker.com/go/dockerfile/rule/") for r in ALL_RULES)


def test_clean_dockerfile_has_no_warnings():
    assert warnings_of('FROM alpine AS build\nWORKDIR /app\nCMD ["app"]\n') == []


def test_platform_const_allowed_when_stage_name_mentions_it():
    assert warnings_of("FROM --platform=linux/amd64 alpine AS build-amd64\n") == []


def test_copy_ignored_file_is_experimental():
    class Ignore:
        def matches(self, path):
            return path == "secret.txt"

    text = "FROM alpine\nCOPY secret.txt /s\n"
    assert warnings_of(text, ignore_matcher=Ignore()) == []
    text = "# check=experimental=CopyIgnoredFile\n" + text
    assert ("CopyIgnoredFile",
            'Attempting to Copy file "secret.txt" that is excluded by .dockerignore',
            3) in warnings_of(text, ignore_matcher=Ignore())


DIRECTIVE_CASES = [
    ("skip-one", "# check=skip=MaintainerDeprecated\n", []),
    ("skip-all", "# check=skip=all\n", []),
    ("error-keeps-warnings", "# check=error=true\n", ["MaintainerDeprecated"]),
]


@pytest.mark.parametrize("directive,rules", [c[1:] for c in DIRECTIVE_CASES],
                         ids=[c[0] for c in DIRECTIVE_CASES])
def test_check_directive(directive, rules):
    text = directive + "FROM alpine\nMAINTAINER me\n"
    assert [w[0] for w in warnings_of(text)] == rules


def test_error_true_yields_lint_error_on_exit():
    result = run_checks(stage(parse("# check=error=true\nFROM alpine\nMAINTAINER me\n")))
    assert result.config.error and result.warnings


def test_build_arg_overrides_directive():
    text = "# check=skip=all\nFROM alpine\nMAINTAINER me\n"
    got = warnings_of(text, build_args={"BUILDKIT_DOCKERFILE_CHECK": "skip=JSONArgsRecommended"})
    assert [w[0] for w in got] == ["MaintainerDeprecated"]


BAD_OPTIONS = ["nope", "skip", "error=maybe", "other=1"]


@pytest.mark.parametrize("value", BAD_OPTIONS, ids=BAD_OPTIONS)
def test_bad_check_options(value):
    with pytest.raises(CheckOptionError):
        parse_check_config(value)


def test_bad_directive_is_a_located_parse_error():
    with pytest.raises(ParseError, match="failed to parse check options") as e:
        check(stage(parse("# check=bogus\nFROM alpine\n")))
    assert e.value.line == 1


def test_bad_check_build_arg():
    with pytest.raises(BuildArgError):
        check(stage(parse("FROM alpine\n")), build_args={"BUILDKIT_DOCKERFILE_CHECK": "x"})


REPORT = """
WARNING: MaintainerDeprecated - https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/
Maintainer instruction is deprecated in favor of using label
Dockerfile:2
--------------------
   1 |     FROM alpine
   2 | >>> MAINTAINER me
   3 |     RUN true
   4 |     
--------------------
Check complete, 1 warning has been found!
"""


def test_report_matches_buildx_layout():
    staged = stage(parse("FROM alpine\nMAINTAINER me\nRUN true\n"))
    assert format_check_report(check(staged), staged.dockerfile.source) == REPORT
