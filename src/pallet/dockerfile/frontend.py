"""The frontend's one entry point: read a Dockerfile, stage it, and plan a target.

`load_dockerfile` reads and parses; `resolve` expands every FROM line with the global ARGs
(BuildKit's `toDispatchState` up to dependency resolution), picks the target, and returns
the stages it needs as a BuildPlan, the plain data the build engine consumes. Stages the
target does not need keep only their expanded FROM line; their instructions are never
expanded. Lint hooks (UndefinedArgInFrom, RedundantTargetPlatform, ...) fire here, where
BuildKit fires them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from pallet.dockerfile import targets as tg
from pallet.dockerfile.args import MetaArg, build_meta_args, predefined_args
from pallet.errors import ContextError, DockerfileError, ParseError


@dataclass(frozen=True, slots=True)
class PlannedStage:
    index: int
    name: str  # lower-cased stage name, "" when unnamed
    display_name: str  # name or "stage-<index>", as BuildKit names steps
    stage: object  # stages.Stage
    base_name: str  # expanded FROM word
    base_stage: int | None  # the stage it builds on, or None for an image / scratch
    platform: str | None  # expanded --platform, normalised
    deps: tuple[int, ...]  # stages used by COPY --from / RUN --mount from=
    images: tuple[str, ...]  # images used by COPY --from / RUN --mount from=
    from_args: frozenset[str]  # global args the FROM line used


@dataclass
class BuildPlan:
    target: int
    stages: list[PlannedStage]  # needed stages, each after those it uses
    all_stages: list[tg.StageNode]
    global_args: dict[str, str]  # what FROM lines see: predefined + global ARGs
    meta_args: dict[str, MetaArg]
    build_args: dict[str, str]
    staged: object = field(repr=False, default=None)

    @property
    def target_stage(self) -> PlannedStage:
        return next(s for s in self.stages if s.index == self.target)


def read_dockerfile_bytes(path: str) -> bytes:
    """The file's bytes; `-` reads stdin. Missing or unreadable files are ContextErrors."""
    if path == "-":
        return sys.stdin.buffer.read()
    name = os.path.basename(path) or path
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise ContextError(
            f"failed to read dockerfile: open {name}: no such file or directory",
            hint=f'no file at "{path}"; name the Dockerfile with -f PATH',
        ) from None
    except IsADirectoryError:
        raise ContextError(f"failed to read dockerfile: read {name}: is a directory") from None
    except OSError as e:
        raise ContextError(f"failed to read dockerfile: {e.strerror or e}") from None


def load_dockerfile(path: str, data: bytes | None = None, name: str | None = None):
    """Read (unless `data` is given) and parse a Dockerfile."""
    from pallet.dockerfile.parser import parse
    from pallet.dockerfile.syntax import check_syntax

    if data is None:
        data = read_dockerfile_bytes(path)
    if not data:
        raise ParseError("the Dockerfile cannot be empty")
    dockerfile = parse(data, name=name or (os.path.basename(path) if path != "-" else "Dockerfile"))
    check_syntax(dockerfile)
    return dockerfile


def stage(dockerfile):
    from pallet.dockerfile.stages import parse_stages

    return parse_stages(dockerfile)


def resolve(staged, target: str | None = None, build_args: dict[str, str] | None = None,
            build_platform=None, target_platform=None, linter=None) -> BuildPlan:
    """Plan the build of `target` (default: the last stage)."""
    from pallet.dockerfile.lint.directive import NullLinter
    from pallet.dockerfile.shell import ShellLex

    build_args = dict(build_args or {})
    linter = linter or NullLinter()
    dockerfile = staged.dockerfile
    lex = ShellLex(dockerfile.escape)
    if not staged.stages:
        raise tg.StageError("dockerfile contains no stages to build")
    env = _predefined(staged, target, build_args, build_platform, target_platform)
    _located(dockerfile, lambda: _lint_default_bases(staged, lex, env, linter))
    env, meta = _located(dockerfile, lambda: build_meta_args(
        env, lex, staged.meta_args, build_args, dockerfile.source))
    nodes, index = _located(dockerfile, lambda: _expand_froms(staged, lex, env, meta, linter))
    return _located(dockerfile, lambda: _plan(staged, nodes, index, target, env, meta,
                                              build_args, lex))


def _predefined(staged, target, build_args, build_platform, target_platform):
    from pallet.image.platform import host_platform, platform_args

    build = _as_platform(build_platform) or host_platform()
    tplat = _as_platform(target_platform) or build
    stage_name = target or staged.stages[-1].name or ""
    return predefined_args(platform_args(build, tplat), stage_name, build_args)


def _as_platform(value):
    if value is None or value == "":
        return None
    if isinstance(value, str):
        from pallet.image.platform import parse_platform

        return parse_platform(value)
    return value


def _lint_default_bases(staged, lex, env, linter) -> None:
    from pallet.dockerfile.lint import from_checks

    from_checks.invalid_default_bases(staged, lex, env, linter)


def _expand_froms(staged, lex, env, meta, linter):
    from pallet.dockerfile.lint import from_checks

    nodes: list[tg.StageNode] = []
    index = tg.StageIndex()
    known = set(env) | set(meta)
    for st in staged.stages:
        base, used = from_checks.expand_base(st, lex, env, known, linter)
        platform, used_by_platform = from_checks.expand_platform(st, lex, env, known, linter)
        node = tg.StageNode(index=len(nodes), stage=st, base_name=base,
                            base=index.find(base), platform=platform,
                            from_args=frozenset(used) | frozenset(used_by_platform))
        index.add(node)
        nodes.append(node)
    return nodes, index


def _plan(staged, nodes, index, target, env, meta, build_args, lex) -> BuildPlan:
    target_index = tg.find_target(nodes, index, target)
    for node in nodes:
        tg.add_edges(node, list(_from_refs(node.stage, lex, env)), nodes, index)
    tg.check_cycles(nodes)
    needed = tg.reachable(nodes, target_index)
    tg.check_order(nodes, needed)
    tg.check_base_references(nodes)
    planned = [_planned(nodes[i]) for i in tg.dependency_order(nodes, needed)]
    return BuildPlan(target_index, planned, nodes, env, meta, build_args, staged)


def _planned(node: tg.StageNode) -> PlannedStage:
    return PlannedStage(node.index, node.name, node.display_name, node.stage, node.base_name,
                        node.base, node.platform, tuple(sorted(node.deps)),
                        tuple(node.images), node.from_args)


def _from_refs(st, lex, env):
    """(value, instruction) for every COPY --from and RUN --mount from= in a stage."""
    for inst in st.commands:
        value = getattr(inst, "from_", "") or ""
        if value and inst.node.keyword in ("copy", "add"):
            yield _expand_ref(value, lex, env), inst
        for mount in getattr(inst, "mounts", ()) or ():
            mfrom = getattr(mount, "from_", "") or ""
            if mfrom:
                yield _expand_ref(mfrom, lex, env), inst


def _expand_ref(value: str, lex, env) -> str:
    # BuildKit takes --from literally; pallet also expands global ARGs in it.
    if "$" not in value:
        return value
    try:
        return lex.expand_word(value, env) or value
    except DockerfileError:
        return value


def _located(dockerfile, fn):
    """Run fn; give any DockerfileError from it this Dockerfile's source."""
    try:
        return fn()
    except DockerfileError as e:
        if e.source is None:
            e.source = dockerfile.source
        raise
