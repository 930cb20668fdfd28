"""Stages -> ops and image configs (BuildKit's dockerfile2llb/convert.go, split by family).

`Converter.convert()` walks the planned stages in dependency order. Each stage starts from
its base (an image, another stage, or scratch), runs its base image's ONBUILD triggers,
then dispatches every instruction (`pallet.engine.dispatch`) onto a StageState: the op
that describes its filesystem, and the ImageState that describes its config and history.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Protocol

from pallet.engine.config import DEFAULT_PATH, ImageState
from pallet.errors import PalletError, Range
from pallet.graph.ops import ContextSource, ImageSource, Op, OpMeta, Scratch

# Instructions that make a step of their own (a vertex `[stage i/n]`), as BuildKit counts.
STEP_KEYWORDS = {"run", "copy", "add", "workdir"}


@dataclass(frozen=True)
class ResolvedImage:
    """A base image found in the store: what FROM and COPY --from=<image> need."""

    ref: str  # normalised name, as shown in progress
    manifest_digest: str
    config: dict  # the OCI image config JSON


class ImageResolver(Protocol):
    def resolve(self, ref: str, platform: str | None) -> ResolvedImage: ...


@dataclass
class StageState:
    """A stage being converted."""

    name: str  # display name for steps: "build", "stage-1", or "" for a lone stage
    op: Op
    image: ImageState
    args: dict[str, str | None] = field(default_factory=dict)  # stage ARGs, in order
    cmd_set: bool = False
    step: int = 1
    total: int = 1
    platform: str | None = None
    epoch: int = 0  # the base image's creation time: history times, layer file times
    shown_platform: str = ""  # in step names when several platforms are built

    def step_name(self, text: str) -> str:
        self.step += 1
        return f"[{step_prefix(self.shown_platform, self.name, self.args)}{self.step}/{self.total}] {text}"

    def shell(self) -> list[str]:
        return list(self.image.config.get("Shell") or ["/bin/sh", "-c"])

    def expansion_env(self) -> dict[str, str]:
        """What ${VAR} sees: ARG values, overridden by ENV (Dockerfile reference, ARG)."""
        env = {k: v for k, v in self.args.items() if v is not None}
        env.update(self.image.env_dict())
        return env


@dataclass
class Converted:
    """The result for one stage."""

    op: Op
    image: ImageState
    epoch: int = 0
    platform: str | None = None  # the stage's platform; None: the host's


class Converter:
    def __init__(self, plan, *, resolver: ImageResolver, context: ContextSource,
                 build_args: dict[str, str], source_date_epoch: int | None = None,
                 network: str = "default", platform: str | None = None,
                 show_platform: bool = False) -> None:
        self.plan = plan
        self.resolver = resolver
        self.context = context
        self.build_args = build_args
        self.source_date_epoch = source_date_epoch
        self.network = network
        # The target platform: a stage without FROM --platform (or a base stage) gets it.
        self.platform = platform
        self.show_platform = show_platform  # several --platform: "[linux/arm64 build 2/4]"
        # platform a RUN step executes as -> its first RUN's lines (engine/platforms.py
        # checks an emulator exists before anything runs)
        self.run_platforms: dict[str, tuple[Range, ...]] = {}
        self.results: dict[int, Converted] = {}
        self.images: dict[str, ResolvedImage] = {}
        self.lex = _lex(plan)

    def convert(self) -> dict[int, Converted]:
        lone = len(self.plan.all_stages) == 1
        for planned in self.plan.stages:
            self.results[planned.index] = self._convert_stage(planned, lone)
        return self.results

    # -- stage ----------------------------------------------------------------------
    def _convert_stage(self, planned, lone: bool) -> Converted:
        from pallet.engine.dispatch import dispatch, run_onbuild_triggers

        stage = planned.stage
        total = 1 + sum(1 for c in stage.commands if c.node.keyword in STEP_KEYWORDS)
        platform = self._stage_platform(planned)
        state = self._base_state(planned, "" if lone else planned.display_name, total, platform)
        insts = [*run_onbuild_triggers(self, state), *stage.commands]
        for inst in insts:
            dispatch(self, state, inst)
        runs = [i for i in insts if type(i).__name__ == "Run"]
        if runs:  # what the RUN executables are: the image's platform, not the one asked for
            self.run_platforms.setdefault(_platform_of(state.image), (runs[0].node.range,))
        return Converted(state.op, state.image, state.epoch, platform)

    def _stage_platform(self, planned) -> str | None:
        """FROM --platform, else the base stage's platform (dockerfile2llb: d.platform =
        d.base.platform), else the target platform."""
        if planned.platform:
            return planned.platform
        if planned.base_stage is not None:
            return self.results[planned.base_stage].platform
        return self.platform

    def _base_state(self, planned, name: str, total: int, platform: str | None) -> StageState:
        ranges = (planned.stage.node.range,)
        shown = (platform or "") if self.show_platform else ""
        prefix = step_prefix(shown, name, {})
        epoch = 0
        if planned.base_stage is not None:
            base = self.results[planned.base_stage]
            image, op, epoch = base.image.clone(), base.op, base.epoch
        elif planned.base_name.lower() == "scratch":
            image, op = _scratch_image(platform), Scratch()
        else:
            resolved = self.resolve_image(planned.base_name, platform, ranges)
            image = ImageState.from_image_config(resolved.config)
            epoch = _epoch_of(image.created)
            meta = OpMeta(name=f"[{prefix}1/{total}] FROM {resolved.ref}", ranges=ranges)
            op = ImageSource(resolved.ref, resolved.manifest_digest, meta=meta)
        return StageState(name=name, op=op, image=image, total=total, platform=platform,
                          epoch=epoch, shown_platform=shown)

    def timestamp(self, state: StageState | Converted) -> str:
        """`created` of history entries and configs: deterministic (DESIGN.md)."""
        from pallet.image.config import format_time

        return format_time(self.source_date_epoch if self.source_date_epoch is not None
                           else state.epoch)

    def resolve_image(self, ref: str, platform: str | None, ranges: tuple[Range, ...]) -> ResolvedImage:
        key = f"{ref}|{platform or ''}"
        if key not in self.images:
            try:
                self.images[key] = self.resolver.resolve(ref, platform)
            except PalletError as err:  # e.g. no such image: point at the line that named it
                if not err.ranges:
                    err.ranges = list(ranges)
                    err.source = self.plan.staged.dockerfile.source
                raise
        return self.images[key]

    @functools.cached_property
    def stage_index(self):
        """Stage names -> indexes, built once for every COPY --from and mount from=."""
        from pallet.dockerfile.targets import StageIndex

        index = StageIndex()
        for node in self.plan.all_stages:
            index.add(node)
        return index

    def stage_result(self, index: int) -> Converted:
        return self.results[index]


def _epoch_of(created: str | None) -> int:
    from pallet.image.config import parse_time

    return int(parse_time(created)) if created else 0


def step_prefix(platform: str, name: str, args: dict) -> str:
    """"linux/amd64->arm64 build " (dockerfile2llb prefixCommand + formatTargetPlatform): the
    stage's platform, then the target the stage's declared TARGET* args name if it differs."""
    if platform:
        platform += _target_suffix(platform, args)
    words = [w for w in (platform, name) if w]
    return " ".join(words) + " " if words else ""


def _target_suffix(platform: str, args: dict) -> str:
    from pallet.image.platform import Platform, parse_platform

    base = parse_platform(platform)
    if args.get("TARGETPLATFORM"):
        target = parse_platform(args["TARGETPLATFORM"])
    elif any(args.get(k) for k in ("TARGETOS", "TARGETARCH", "TARGETVARIANT")):
        target = Platform(args.get("TARGETOS") or base.os,
                          args.get("TARGETARCH") or base.architecture, args.get("TARGETVARIANT") or "")
    else:
        return ""
    if target.os != base.os:
        return "->" + str(target)
    if target.architecture != base.architecture:
        return "->" + "/".join(p for p in (target.architecture, target.variant) if p)
    return ""


def _platform_of(image: ImageState) -> str:
    return "/".join(p for p in (image.os, image.architecture, image.variant) if p)


def _scratch_image(platform: str | None) -> ImageState:
    """BuildKit's emptyImage: PATH set, WorkingDir "/"."""
    image = ImageState(config={"Env": [f"PATH={DEFAULT_PATH}"], "WorkingDir": "/"})
    if platform:
        from pallet.image.platform import parse_platform

        p = parse_platform(platform)
    else:
        from pallet.image.platform import host_platform

        p = host_platform()
    image.os, image.architecture, image.variant = p.os, p.architecture, p.variant
    return image


def _lex(plan):
    from pallet.dockerfile.shell import ShellLex

    return ShellLex(plan.staged.dockerfile.escape)
