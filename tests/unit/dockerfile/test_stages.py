"""Stages: BuildKit's instructions.Parse over a parsed Dockerfile."""

from __future__ import annotations

import pytest

from pallet.dockerfile.instructions import Arg, Copy, Run, Workdir
from pallet.dockerfile.nodes import Directives, Dockerfile, Node
from pallet.dockerfile.parser import parse
from pallet.dockerfile.stages import parse_stages
from pallet.errors import DockerfileError, InstructionError, Range, SourceFile, StageError

MULTI = """\
# syntax=docker/dockerfile:1
ARG GO=1.22
ARG BASE
# builder compiles the app
# with go
FROM --platform=$BUILDPLATFORM golang:${GO} AS Builder
WORKDIR /src
COPY . .
RUN go build -o /out/app .

FROM scratch
COPY --from=builder /out/app /app
"""


def test_stages_and_meta_args():
    staged = parse_stages(parse(MULTI))
    assert [type(a) for a in staged.meta_args] == [Arg, Arg]
    assert [a.args[0].key for a in staged.meta_args] == ["GO", "BASE"]
    first, second = staged.stages
    assert (first.name, first.orig_name, first.index) == ("builder", "Builder", 0)
    assert (first.base, first.platform) == ("golang:${GO}", "$BUILDPLATFORM")
    assert [type(c) for c in first.commands] == [Workdir, Copy, Run]
    assert first.comment == "builder compiles the app\nwith go"
    assert first.node.start_line == 6
    assert (second.name, second.orig_name, second.platform, second.index) == (None, None, None, 1)
    assert second.display_name == "stage-1" and first.display_name == "builder"
    assert second.commands[0].from_ == "builder"


def test_arg_after_from_belongs_to_the_stage():
    staged = parse_stages(parse("FROM a\nARG X\n"))
    assert staged.meta_args == [] and [type(c) for c in staged.stages[0].commands] == [Arg]


BAD = [
    ("no-from", "ARG A\n", StageError, "dockerfile contains no stages to build", []),
    ("run-before-from", "ARG A\nRUN x\nFROM a\n", StageError,
     "no build stage in current context", [Range(2, 2)]),
    ("unknown-instruction", "FROM a\nBOGUS b\n", InstructionError,
     "dockerfile parse error on line 2: unknown instruction: BOGUS", [Range(2, 2)]),
    ("bad-stage-name", "FROM a AS 0x\n", StageError,
     "dockerfile parse error on line 1: invalid name for build stage: \"0x\", "
     "name can't start with a number or contain symbols", [Range(1, 1)]),
    ("flag-error-in-stage", "FROM a\nCOPY --lnk \\\n  a b\n", InstructionError,
     'dockerfile parse error on line 2: unknown flag: --lnk (did you mean "link"?)',
     [Range(2, 3)]),
]


@pytest.mark.parametrize("text,cls,message,ranges", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad(text, cls, message, ranges):
    dockerfile = parse(text)
    with pytest.raises(cls) as info:
        parse_stages(dockerfile)
    assert info.value.message == message
    assert str(info.value) == message
    assert info.value.ranges == ranges
    assert info.value.source is dockerfile.source


def test_rendered_error_shows_the_line():
    with pytest.raises(DockerfileError) as info:
        parse_stages(parse("FROM a\nRUN --network=bridge x\n"))
    assert info.value.render() == "\n".join([
        'error: dockerfile parse error on line 2: invalid network mode "bridge"',
        "",
        "Dockerfile:2",
        "-" * 20,
        "   1 |     FROM a",
        '   2 | >>> RUN --network=bridge x',
        "   3 |     ",  # BuildKit shows the empty line after the final newline too
        "-" * 20,
    ])


def test_hand_built_dockerfile():
    nodes = [Node("from", "FROM a AS b", 1, 1, args=["a", "AS", "b"], raw_keyword="FROM",
                  comments=["b the base"]),
             Node("workdir", "WORKDIR /x", 2, 2, args=["/x"], raw_keyword="WORKDIR")]
    dockerfile = Dockerfile(nodes, Directives(), SourceFile("Dockerfile", "FROM a AS b\nWORKDIR /x\n"))
    staged = parse_stages(dockerfile)
    assert staged.dockerfile is dockerfile
    assert staged.stages[0].comment == "b the base"
    assert staged.stages[0].commands == [Workdir("/x", node=nodes[1])]
