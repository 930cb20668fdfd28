"""A read-only, merged view of solved results: what the local and tar exporters export.

The layers are stacked as an overlay view of the top snapshot (overlayfs applies every
whiteout, so deleted files are gone), and mounted under the state root's tmp dir for as long
as the exporter reads it. Several platforms with `split` mount side by side under one
directory, one sub-directory per platform named like buildx's (`linux_arm_v7`).
Files COPY shared through the file pool look hard-linked in the view; `pooled_inodes` names
them, so that an exporter writes them as the separate files they are in the image.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from contextlib import ExitStack, contextmanager
from typing import Iterator

from pallet.exporter.base import ExportContext, ExportInput


def pooled_inodes(ctx: ExportContext) -> frozenset[int]:
    from pallet.snapshot.filepool import pooled_inodes

    return pooled_inodes(ctx.worker.root.file_pool_dir)


@contextmanager
def mounted_rootfs(ctx: ExportContext, inputs: list[ExportInput], split: bool | None
                   ) -> Iterator[str]:
    """A directory holding the merged filesystem (or one per platform when `split`; None, the
    exporters' `platform-split` default, splits when there is more than one platform)."""
    if split is None:
        split = len(inputs) > 1
    base = tempfile.mkdtemp(prefix="export-", dir=ctx.worker.root.tmp_dir)
    try:
        with ExitStack() as stack:
            if split:
                for inp in inputs:
                    path = os.path.join(base, platform_dir(inp))
                    os.mkdir(path, 0o755)
                    stack.enter_context(_view(ctx, inp, path))
            else:
                stack.enter_context(_view(ctx, inputs[0], base))
            yield base
    finally:
        _remove_empty(base)


def _remove_empty(base: str) -> None:
    """rmdir, never rmtree: if an unmount failed, the view's files must not be deleted."""
    for name in os.listdir(base):
        try:
            os.rmdir(os.path.join(base, name))
        except OSError:
            pass
    try:
        os.rmdir(base)
    except OSError:
        pass


def platform_dir(inp: ExportInput) -> str:
    """buildx's per-platform directory name: os_arch[_variant] of the image."""
    parts = (inp.image.os, inp.image.architecture, inp.image.variant)
    return "_".join(p for p in parts if p)


@contextmanager
def _view(ctx: ExportContext, inp: ExportInput, target: str) -> Iterator[None]:
    from pallet.snapshot.mount import mounted

    layers = inp.result.layers
    if not layers:  # FROM scratch with nothing added: an empty filesystem
        yield
        return
    snapshots = ctx.worker.snapshots
    key = f"export-{secrets.token_hex(8)}"
    mounts = snapshots.view(key, [layers[-1].snapshot])
    try:
        with mounted(mounts, target):
            yield
    finally:
        snapshots.remove(key)
