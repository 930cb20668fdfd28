"""Target selection and the stages a target needs."""

from __future__ import annotations

import pytest

from pallet.dockerfile.frontend import resolve, stage
from pallet.dockerfile.parser import parse
from pallet.errors import StageError

MULTI = """\
FROM alpine AS base
FROM base AS build
RUN --mount=type=cache,target=/c --mount=from=tools,target=/t true
FROM busybox AS tools
FROM scratch AS unused
FROM scratch AS final
COPY --from=build /out /out
COPY --from=0 /etc /etc
"""


def plan_of(text: str, target=None, **kw):
    return resolve(stage(parse(text)), target, **kw)


NEEDED_CASES = [
    ("default-is-last", None, [0, 1, 4]),
    ("named", "build", [0, 1]),
    ("case-insensitive", "BUILD", [0, 1]),
    ("base-only", "base", [0]),
]


@pytest.mark.parametrize("target,needed", [c[1:] for c in NEEDED_CASES],
                         ids=[c[0] for c in NEEDED_CASES])
def test_needed_stages(target, needed):
    text = MULTI.replace("from=tools", "from=base")
    assert [s.index for s in plan_of(text, target).stages] == needed


def test_stage_base_is_linked_and_image_is_not():
    plan = plan_of(MULTI.replace("from=tools", "from=base"), "build")
    assert [s.base_stage for s in plan.stages] == [None, 0]


def test_unknown_target_suggests_a_name():
    with pytest.raises(StageError) as e:
        plan_of(MULTI, "buidl")
    assert e.value.message == 'target stage "buidl" could not be found (did you mean "build"?)'


def test_forward_copy_from_is_rejected():
    with pytest.raises(StageError, match='cannot mount from stage "tools" to "build"'):
        plan_of(MULTI, "build")


def test_forward_copy_is_fine_when_not_needed():
    assert plan_of(MULTI, "base").stages[0].index == 0


def test_from_a_later_name_is_an_image():
    plan = plan_of("FROM later AS first\nFROM scratch AS later\n", "first")
    assert plan.target_stage.base_stage is None and plan.target_stage.base_name == "later"


def test_from_own_name_is_an_image():
    assert plan_of("FROM x AS x\n").target_stage.base_stage is None


def test_copy_from_unknown_name_is_an_image():
    plan = plan_of("FROM scratch\nCOPY --from=nginx:latest /a /b\n")
    assert plan.target_stage.images == ("nginx:latest",)


def test_cycle_is_rejected_with_lines():
    text = "FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\nCOPY --from=a /y /y\n"
    with pytest.raises(StageError, match="circular dependency detected on stage: a") as e:
        plan_of(text)
    assert sorted(r.start for r in e.value.ranges) == [2, 4]


def test_bad_stage_index():
    with pytest.raises(StageError, match="invalid stage index 7"):
        plan_of("FROM scratch\nCOPY --from=7 /a /b\n")


def test_meta_arg_in_copy_from_is_expanded():
    plan = plan_of("ARG SRC=one\nFROM scratch AS one\nFROM scratch\nCOPY --from=$SRC /a /b\n")
    assert plan.target_stage.deps == (0,)


def test_invalid_image_name_in_from():
    with pytest.raises(StageError, match='failed to parse stage name "Alpine"'):
        plan_of("FROM Alpine\n")


def test_unneeded_stage_instructions_are_not_checked_for_order():
    text = "FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\nFROM scratch AS c\n"
    assert [s.index for s in plan_of(text, "c").stages] == [2]
