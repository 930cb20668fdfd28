"""Build args, predefined args and global ARGs in FROM lines."""

from __future__ import annotations

import pytest

from pallet.dockerfile.args import parse_build_args, predefined_args
from pallet.dockerfile.frontend import resolve, stage
from pallet.dockerfile.parser import parse
from pallet.errors import BuildArgError, StageError


def plan_of(text: str, **kw):
    return resolve(stage(parse(text)), **kw)


BUILD_ARG_CASES = [
    ("key-value", ["A=1"], {}, {"A": "1"}),
    ("empty-value", ["A="], {}, {"A": ""}),
    ("equals-in-value", ["A=x=y"], {}, {"A": "x=y"}),
    ("from-environment", ["A"], {"A": "env"}, {"A": "env"}),
    ("unset-in-environment-skipped", ["A"], {}, {}),
    ("last-wins", ["A=1", "A=2"], {}, {"A": "2"}),
]


@pytest.mark.parametrize("items,environ,expected", [c[1:] for c in BUILD_ARG_CASES],
                         ids=[c[0] for c in BUILD_ARG_CASES])
def test_parse_build_args(items, environ, expected):
    assert parse_build_args(items, environ) == expected


def test_build_arg_without_name_is_an_error():
    with pytest.raises(BuildArgError, match="name is empty"):
        parse_build_args(["=x"], {})


def test_predefined_args_can_be_overridden_by_build_args():
    env = predefined_args({"TARGETOS": "linux"}, "app", {"TARGETOS": "windows", "X": "1"})
    assert env["TARGETOS"] == "windows" and env["TARGETSTAGE"] == "app" and "X" not in env


FROM_CASES = [
    ("meta-default", "ARG V=3.19\nFROM alpine:${V}\n", {}, "alpine:3.19"),
    ("build-arg-wins", "ARG V=3.19\nFROM alpine:$V\n", {"V": "3.20"}, "alpine:3.20"),
    ("undeclared-build-arg-ignored", "FROM alpine:${V:-edge}\n", {"V": "1"}, "alpine:edge"),
    ("default-refers-to-earlier", "ARG A=alp\nARG B=${A}ine\nFROM $B\n", {}, "alpine"),
    ("predefined-without-arg", "FROM img-$TARGETOS\n", {}, "img-linux"),
    ("targetstage", "FROM img-${TARGETSTAGE} AS app\n", {}, "img-app"),
]


@pytest.mark.parametrize("text,build_args,base", [c[1:] for c in FROM_CASES],
                         ids=[c[0] for c in FROM_CASES])
def test_from_line_expansion(text, build_args, base):
    plan = plan_of(text, build_args=build_args, target_platform="linux/amd64",
                   build_platform="linux/amd64")
    assert plan.target_stage.base_name == base


def test_platform_flag_expands_build_platform():
    plan = plan_of("FROM --platform=$BUILDPLATFORM alpine\n", build_platform="linux/arm64")
    assert plan.target_stage.platform == "linux/arm64"


def test_blank_base_name_is_an_error_with_its_line():
    with pytest.raises(StageError, match=r"base name \(\$\{NOPE\}\) should not be blank") as e:
        plan_of("FROM scratch\nFROM ${NOPE}\n")
    assert e.value.line == 2


def test_meta_args_record_description_and_value():
    plan = plan_of("# V the version\nARG V=1\nFROM alpine\n", build_args={"V": "2"})
    meta = plan.meta_args["V"]
    assert (meta.value, meta.description, meta.ranges[0].start) == ("2", "the version", 2)
