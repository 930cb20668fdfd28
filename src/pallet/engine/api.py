"""build(options): Dockerfile + context -> an image in the local store.

The pipeline, each part in its own module: frontend (read, stage, plan) -> Converter (ops
and image config) -> Solver + LocalWorker (layers) -> export (manifest, config, names).
"""

from __future__ import annotations

import os
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
    from pallet.engine.convert import Converter
    from pallet.engine.export import export_image
    from pallet.engine.resolver import LocalResolver
    from pallet.engine.worker import LocalWorker
    from pallet.dockerfile import frontend
    from pallet.dockerfile.dockerignore import load_matcher
    from pallet.graph.ops import ContextSource, OpMeta
    from pallet.image.importer import source_date_epoch
    from pallet.solver.scheduler import Solver
    from pallet.state.root import StateRoot

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
        plan = frontend.resolve(staged, options.target, options.build_args,
                                target_platform=(options.platforms or [None])[0])
        epoch = source_date_epoch()
        root = StateRoot.default()
        worker = LocalWorker(root, epoch=epoch, context_matcher=matcher,
                             secrets_provider=_secrets(options))
        context_op = ContextSource(path=str(context),
                                   meta=OpMeta(name="[internal] load build context"))
        converter = Converter(plan, resolver=LocalResolver(worker.blobs, worker.db),
                              context=context_op, build_args=plan.build_args,
                              source_date_epoch=epoch, network=options.network)
        stages = converter.convert()
        target = stages[plan.target]
        result = Solver(worker, progress, no_cache=options.no_cache).solve(target.op)
        worker.flush()
        exported = export_image(worker, progress, target, result, options,
                                created=converter.timestamp_of(target))
    except PalletError as err:
        if err.source is None and err.ranges:
            err.source = source
        raise
    if options.iidfile:
        Path(options.iidfile).write_text(exported.image_id)
    return exported


def _context_dir(path: str) -> Path:
    context = Path(path)
    if not context.is_dir():
        what = "does not exist" if not context.exists() else "is not a directory"
        raise ContextError(f'unable to prepare context: path "{path}" {what}',
                           hint="the last argument of pallet build is the context directory")
    return context.resolve()


def _secrets(options):
    from pallet.engine.secrets import SecretStore

    return SecretStore.from_options(options.secrets, os.environ)
