"""build(options): Dockerfile + context -> an image in the local store.

The pipeline, each part in its own module: frontend (read, stage, plan) -> Converter (ops
and image config) -> Solver + LocalWorker (layers) -> export (manifest, config, names).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from pallet.errors import ContextError, PalletError


@dataclass(frozen=True)
class BuildResult:
    image_id: str  # config digest, what `pallet images` shows
    manifest_digest: str
    names: tuple[str, ...]
    warnings: int = 0


def build(options) -> BuildResult:
    from pallet.progress import make_progress

    progress = make_progress("quiet" if options.quiet else options.progress)
    try:
        return _build(options, progress)
    finally:
        progress.close()


def _build(options, progress) -> BuildResult:
    from pallet.dockerfile import frontend
    from pallet.dockerfile.dockerignore import load_matcher
    from pallet.exporter.outputs import resolve_outputs
    from pallet.image.config import source_date_epoch
    from pallet.state.leases import build_lease
    from pallet.builders import builder_root

    outputs = resolve_outputs(options)  # a bad -o/--load/--push fails before any work
    context = _context_dir(options.context)
    v = progress.vertex(f"[internal] load build definition from {options.dockerfile_name}")
    dockerfile = frontend.load_dockerfile(options.dockerfile_path, options.dockerfile_data,
                                          options.dockerfile_name)
    progress.done(v)
    v = progress.vertex("[internal] load .dockerignore")
    dockerfile_path = None if options.dockerfile_path == "-" else Path(options.dockerfile_path)
    matcher = load_matcher(context, dockerfile_path)
    progress.done(v)
    source = dockerfile.source
    try:
        staged = frontend.stage(dockerfile)
        plan, warnings = _plan(staged, options, matcher)
        epoch = source_date_epoch()
        # The builder's cache (--builder, BUILDX_BUILDER, `builder use`, default); images shared.
        root = builder_root(options.builder, activity=True).ensure()
        with build_lease(root):
            result = _solve(options, progress, plan, root, epoch, matcher, context, outputs)
        _print_warnings(warnings, options)
        return result
    except PalletError as err:
        if err.source is None and err.ranges:
            err.source = source
        raise


def _solve(options, progress, plan, root, epoch, matcher, context, outputs) -> BuildResult:
    """Convert, solve and export, under the build's lease on the state root."""
    from pallet.engine.entitlements import check_entitlements
    from pallet.engine.export import export_image
    from pallet.engine.platforms import check_emulation, convert_platforms, export_inputs, solve_platforms
    from pallet.engine.remotecache import RemoteCache
    from pallet.engine.resolver import LocalResolver
    from pallet.engine.worker import LocalWorker
    from pallet.graph.ops import ContextSource, OpMeta
    from pallet.solver.scheduler import Solver

    worker = LocalWorker(root, epoch=epoch, context_matcher=matcher,
                         secrets_provider=_secrets(options))
    worker.ssh = _ssh(options)
    context_op = ContextSource(path=str(context),
                               meta=OpMeta(name="[internal] load build context"))
    # One conversion per --platform (engine/platforms.py).
    builds = convert_platforms(plan, options, context=context_op, epoch=epoch,
                               resolver=LocalResolver(worker.blobs, worker.db, pull=options.pull,
                                                      progress=progress))
    for build in builds:
        check_entitlements(build.op, options.allow, options.network)
    check_emulation(builds)  # a foreign RUN without an emulator fails before anything runs
    remote = RemoteCache.from_options(options, progress)  # a bad --cache-to/-from fails now
    try:
        remote.import_into(worker)  # --cache-from records join the worker's lookup
        solver = Solver(worker, progress, no_cache=options.no_cache)
        try:
            results = solve_platforms(solver, builds)
        except KeyboardInterrupt:
            # Only the main thread sees Ctrl-C: stop the steps running on the solver's
            # threads and let them clean up (mounts, containers) first (engine/cancel.py).
            worker.cancellation.cancel()
            raise
        worker.flush()
        for each in results:
            worker.materialise(each)  # a remote-cache hit: the image needs its chain here
        inputs = export_inputs(builds, results,
                               lambda op, res: remote.config_fields(solver.solve, op, res))
        built = export_image(worker, progress, options, outputs=outputs, inputs=inputs)
        remote.export(worker, solver.solve, [b.op for b in builds])  # --cache-to, every platform
        return built
    finally:
        remote.close()


def _print_warnings(warnings, options) -> None:
    if warnings and not options.quiet:
        from pallet.dockerfile.lint.render import format_build_warnings

        sys.stderr.write(format_build_warnings(warnings))


def _plan(staged, options, matcher):
    """The target's plan, and the lint warnings BuildKit prints after a build; a
    `check=error=true` Dockerfile with warnings fails here, before anything runs."""
    from pallet.dockerfile.lint.checks import run_checks
    from pallet.dockerfile.lint.directive import Linter

    result = run_checks(staged, target=options.target, build_args=options.build_args,
                        ignore_matcher=matcher,
                        target_platform=(options.platforms or [None])[0])
    if result.error is not None:
        raise result.error
    if result.config.error and result.warnings:
        raise Linter(result.config, list(result.warnings)).error()
    return result.plan, result.warnings


def _context_dir(path: str) -> Path:
    context = Path(path)
    if not context.is_dir():
        what = "does not exist" if not context.exists() else "is not a directory"
        raise ContextError(f'unable to prepare context: path "{path}" {what}',
                           hint="the last argument of pallet build is the context directory")
    return context.resolve()


def _ssh(options):
    from pallet.engine.sshagent import SshAgents

    return SshAgents.from_options(options.ssh, os.environ)


def _secrets(options):
    from pallet.engine.secrets import SecretStore

    return SecretStore.from_options(options.secrets, os.environ)
