"""`pallet import`: a root filesystem tarball becomes a one-layer image (docker import).

The layer is the tarball re-written in pallet's layer form (archive/retar.py), gzip'd. The
config holds only what the `--change` instructions set, and one history entry with no
`created_by` (as docker's import writes it). Timestamps are deterministic: SOURCE_DATE_EPOCH
when set, otherwise the newest mtime in the tarball — so one tarball always gives one image id.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import BinaryIO

from pallet.archive.compression import Compression, decompress_reader
from pallet.archive.retar import retar
from pallet.content.base import write_blob
from pallet.image.changes import apply_changes
from pallet.image.config import History, ImageConfig, format_time
from pallet.image.descriptor import OCI_CONFIG, OCI_MANIFEST, Descriptor
from pallet.image.layers import write_layer
from pallet.image.local import LocalImages
from pallet.image.manifest import Manifest
from pallet.image.platform import Platform, host_platform


@dataclass
class ImportOptions:
    changes: list[str] = field(default_factory=list)
    platform: Platform | None = None
    message: str = ""
    compression: Compression = Compression.GZIP
    epoch: int | None = None  # SOURCE_DATE_EPOCH


def import_tarball(images: LocalImages, src: BinaryIO, opts: ImportOptions) -> Descriptor:
    """Store the image and return its manifest descriptor (name it with `images.tag`)."""
    config_body = apply_changes({}, opts.changes)  # parse flags before the slow part
    if not hasattr(src, "peek"):
        src = io.BufferedReader(src)  # type: ignore[arg-type]
    layer, stats = write_layer(
        images.blobs, lambda out: retar(decompress_reader(src), out, epoch=opts.epoch), opts.compression
    )
    created = format_time(opts.epoch if opts.epoch is not None else stats.newest_mtime)
    plat = opts.platform or host_platform()
    config = ImageConfig(
        architecture=plat.architecture,
        os=plat.os,
        variant=plat.variant,
        created=created,
        config=config_body,
        diff_ids=[layer.diff_id],
        history=[History(created=created, comment=opts.message)],
    )
    cfg = write_blob(images.blobs, config.to_bytes())
    manifest = Manifest(Descriptor(OCI_CONFIG, cfg.digest, cfg.size), [layer.descriptor])
    data = manifest.to_bytes()
    info = write_blob(images.blobs, data)
    return Descriptor(OCI_MANIFEST, info.digest, info.size)
