"""Multi-platform builds: one conversion per `--platform`, one Solver for all of them.

buildx's `--platform a,b,c` is one BuildKit solve whose Dockerfile frontend converts the
Dockerfile once per target platform (dockerfile2llb runs per platform; the results are
joined into one index). pallet does the same:

- each platform gets its own plan (TARGETPLATFORM, TARGETARCH... differ) and Converter;
- every conversion goes to one Solver, which dedupes equal ops by digest. A stage pinned
  with `FROM --platform=$BUILDPLATFORM` converts to the same ops for every target, because
  the target's args only reach a stage through ARGs the stage declares (dispatch._run_env
  puts only declared ARGs in a RUN's env) — so it is built once and shared;
- before anything runs, each platform whose RUN steps would execute foreign binaries is
  checked against binfmt_misc (pallet.emulation), so a missing emulator is one clear error;
- the solved targets become one ExportInput per platform: image outputs write an index,
  local and tar outputs split into `linux_arm64/`-style directories (pallet.exporter).
"""

from __future__ import annotations

from dataclasses import dataclass

from pallet.engine.convert import Converted, Converter


@dataclass(frozen=True)
class PlatformBuild:
    """One target platform's converted build."""

    platform: str  # "linux/arm64", or "" when the build named none (the host's)
    converter: Converter
    target: Converted

    @property
    def op(self):
        return self.target.op

    @property
    def created(self) -> str:
        return self.converter.timestamp(self.target)

    def image(self):
        """The target's image state, as the image config must say it.

        When --platform was given, the config's os/architecture/variant are the target
        platform's, whatever the target stage was based on (dockerfile2llb: `if
        !platformOpt.implicitTarget { target.image.Architecture = ... }`): a `FROM scratch`
        or a stage pinned to $BUILDPLATFORM still makes an image of the platform asked for.
        """
        if not self.platform:
            return self.target.image
        from pallet.image.platform import parse_platform

        p = parse_platform(self.platform)
        image = self.target.image.clone()
        image.os, image.architecture, image.variant = p.os, p.architecture, p.variant
        return image


def convert_platforms(plan, options, *, resolver, context, epoch) -> list[PlatformBuild]:
    """A PlatformBuild per `options.platforms` (or one for the host); `plan` is the first's."""
    platforms = list(options.platforms) or [""]
    builds = []
    for i, platform in enumerate(platforms):
        planned = plan if i == 0 else _replan(plan, options, platform)
        converter = Converter(planned, resolver=resolver, context=context,
                              build_args=planned.build_args, source_date_epoch=epoch,
                              network=options.network, platform=platform or None,
                              show_platform=len(platforms) > 1)
        stages = converter.convert()
        builds.append(PlatformBuild(platform, converter, stages[planned.target]))
    return builds


def _replan(plan, options, platform: str):
    """The same Dockerfile planned for another target platform. Lint warnings were already
    collected on the first plan; the frontend raises the same errors for every platform."""
    from pallet.dockerfile import frontend

    return frontend.resolve(plan.staged, options.target, options.build_args,
                            target_platform=platform)


def check_emulation(builds: list[PlatformBuild], binfmt=None) -> None:
    """Fail before running anything if a RUN step's platform cannot run here."""
    from pallet.emulation import EmulatorMissingError, require_platform

    checked: set[str] = set()
    for build in builds:
        for platform, ranges in build.converter.run_platforms.items():
            if platform in checked:
                continue
            checked.add(platform)
            try:
                require_platform(platform, binfmt)
            except EmulatorMissingError as err:  # point at the first RUN of that platform
                err.ranges = list(ranges)
                err.source = build.converter.plan.staged.dockerfile.source
                raise


def solve_platforms(solver, builds: list[PlatformBuild]) -> list:
    """Every platform's target at once: shared stages are solved once (Solver dedupe)."""
    return solver.solve_all([b.op for b in builds])


def export_inputs(builds: list[PlatformBuild], results: list, config_fields) -> list:
    """One ExportInput per platform, in --platform order (the index's order);
    `config_fields(op, result)`: that platform's extra image config keys (inline cache)."""
    from pallet.exporter.base import ExportInput

    return [ExportInput(r, b.image(), b.created, b.platform, config_fields(b.op, r))
            for b, r in zip(builds, results)]
