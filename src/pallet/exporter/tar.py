"""type=tar: the target's filesystem as one tar (BuildKit's tar exporter), to a file or stdout.

Unlike type=local the tar keeps the files' numeric owners (it is not unpacked here), and
is written the way pallet writes every tar: sorted, numeric owners, PAX, mtimes clamped to
SOURCE_DATE_EPOCH when set. Several platforms go under `linux_amd64/`-style directories.
"""

from __future__ import annotations

from pallet.archive.tarwriter import write_tree
from pallet.exporter.base import ExportContext, ExportInput
from pallet.exporter.destfile import open_dest
from pallet.exporter.outputs import TarOutput
from pallet.exporter.rootfs import mounted_rootfs, pooled_inodes


def export_tar(ctx: ExportContext, spec: TarOutput, inputs: list[ExportInput]) -> dict:
    progress = ctx.progress
    v = progress.vertex("exporting to client tarball")
    with mounted_rootfs(ctx, inputs, spec.platform_split) as root, open_dest(spec.dest) as out:
        write_tree(root, out, epoch=ctx.epoch, pooled=pooled_inodes(ctx))
    progress.status(v, "sending tarball done")
    progress.done(v)
    return {}
