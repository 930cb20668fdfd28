"""A Dockerfile as stages: BuildKit's `instructions.Parse` (frontend/dockerfile/instructions/parse.go).

Each FROM opens a stage; every other instruction joins the current one. ARGs before the
first FROM are the global (meta) ARGs. Errors carry the node's lines and the file's text,
and read as BuildKit's: `dockerfile parse error on line N: <what>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pallet.dockerfile.instructions import Arg, From, Instruction, parse_instruction
from pallet.dockerfile.nodes import Dockerfile, Node
from pallet.errors import DockerfileError, StageError


@dataclass
class Stage:
    """One FROM and the instructions after it."""

    name: str | None  # lower-cased AS name, or None
    orig_name: str | None  # as written
    index: int
    base: str  # FROM image word, unexpanded
    platform: str | None  # --platform value, unexpanded
    commands: list[Instruction]
    node: Node  # the FROM node
    comment: str  # doc comment just above FROM (Node.comments joined)
    from_: From | None = field(default=None, repr=False)

    @property
    def display_name(self) -> str:
        """BuildKit's stage name in progress output: the name, or stage-<index>."""
        return self.name or f"stage-{self.index}"


@dataclass
class StagedDockerfile:
    stages: list[Stage]
    meta_args: list[Arg]  # ARG instructions before the first FROM
    dockerfile: Dockerfile


def parse_stages(dockerfile: Dockerfile) -> StagedDockerfile:
    """Type every instruction and group them into stages."""
    staged = StagedDockerfile([], [], dockerfile)
    for node in dockerfile.nodes:
        try:
            _add(staged, node)
        except DockerfileError as e:
            e.ranges = e.ranges or [node.range]
            e.source = e.source or dockerfile.source
            raise
    if not staged.stages:
        raise StageError("dockerfile contains no stages to build", source=dockerfile.source)
    return staged


def _add(staged: StagedDockerfile, node: Node) -> None:
    instruction = _parse(node)
    if isinstance(instruction, From):
        staged.stages.append(_stage(instruction, len(staged.stages)))
    elif staged.stages:
        staged.stages[-1].commands.append(instruction)
    elif isinstance(instruction, Arg):
        staged.meta_args.append(instruction)
    else:
        # instructions.CurrentStage; not wrapped as a parse error in BuildKit either
        raise StageError("no build stage in current context")


def _parse(node: Node) -> Instruction:
    """parse_instruction, its message prefixed as BuildKit's parseError does."""
    try:
        return parse_instruction(node)
    except DockerfileError as e:
        e.message = f"dockerfile parse error on line {node.start_line}: {e.message}"
        e.args = (e.message,)
        raise


def _stage(from_: From, index: int) -> Stage:
    return Stage(
        name=from_.name,
        orig_name=from_.orig_name,
        index=index,
        base=from_.base,
        platform=from_.platform,
        commands=[],
        node=from_.node,
        comment="\n".join(from_.node.comments),
        from_=from_,
    )
