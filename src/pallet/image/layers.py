"""Layer blobs: tar bytes -> (compressed) blob in the content store, with its diff_id.

The diff_id (config rootfs.diff_ids) is the digest of the *uncompressed* tar, the blob digest
that of the bytes stored; both are hashed in one pass while the tar is being written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

from pallet.archive.compression import Compression, compress_writer
from pallet.content.base import BlobWriter
from pallet.image.descriptor import DOCKER_LAYER, DOCKER_LAYER_GZIP, OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD, Descriptor
from pallet.image.digest import HashingWriter

T = TypeVar("T")

LAYER_MEDIA_TYPES = {
    Compression.NONE: OCI_LAYER,
    Compression.GZIP: OCI_LAYER_GZIP,
    Compression.ZSTD: OCI_LAYER_ZSTD,
}
_COMPRESSION_OF = {
    OCI_LAYER: Compression.NONE,
    OCI_LAYER_GZIP: Compression.GZIP,
    OCI_LAYER_ZSTD: Compression.ZSTD,
    DOCKER_LAYER: Compression.NONE,
    DOCKER_LAYER_GZIP: Compression.GZIP,
}


@dataclass(frozen=True)
class Layer:
    descriptor: Descriptor
    diff_id: str
    diff_size: int


def layer_compression(media_type: str) -> Compression | None:
    """The compression a layer media type names; None when the type does not say."""
    return _COMPRESSION_OF.get(media_type)


def write_layer(
    blobs: BlobWriter, produce: Callable[[BinaryIO], T], compression: Compression = Compression.GZIP
) -> tuple[Layer, T]:
    """Call `produce(out)` to write the tar, and store it as one layer blob."""
    with blobs.ingest() as ingest:
        compressor = compress_writer(compression, ingest)  # type: ignore[arg-type]
        tar_out = HashingWriter(compressor)
        result = produce(tar_out)  # type: ignore[arg-type]
        compressor.close()
        info = ingest.commit()
    desc = Descriptor(LAYER_MEDIA_TYPES[compression], info.digest, info.size)
    return Layer(desc, tar_out.digest(), tar_out.size), result
