"""Commit solved results as an image: layers (re-compressed if asked), config, manifest, index.

BuildKit's `exporter/containerimage/writer.go:Commit`, for the options of one output:
- layers keep the blob the worker stored unless another compression is asked for. Like
  BuildKit, a layer the build made is converted to the asked compression, while a base
  image's layer keeps its blob unless `force-compression=true`;
- `oci-mediatypes` picks OCI or Docker media types for the manifest, config and layers;
- one platform gives a manifest, several an index whose entries carry their platform.
Every blob goes to the worker's content store, so the image, oci and docker exporters all
read the same committed image; a build with two outputs of equal options commits once.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from pallet.archive.compression import Compression, compress_writer, decompress_reader
from pallet.content.base import write_blob
from pallet.errors import CorruptBlobError
from pallet.exporter.base import ExportContext, ExportInput
from pallet.exporter.outputs import CommitOptions
from pallet.image.config import ImageConfig
from pallet.image.descriptor import (
    DOCKER_CONFIG,
    DOCKER_INDEX,
    DOCKER_LAYER,
    DOCKER_LAYER_GZIP,
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER_ZSTD,
    OCI_MANIFEST,
    Descriptor,
)
from pallet.image.digest import HashingWriter
from pallet.image.layers import LAYER_MEDIA_TYPES, layer_compression
from pallet.image.manifest import Index, Manifest
from pallet.image.platform import Platform

ANNOTATION_CREATED = "org.opencontainers.image.created"
_DOCKER_LAYERS = {Compression.NONE: DOCKER_LAYER, Compression.GZIP: DOCKER_LAYER_GZIP,
                  Compression.ZSTD: OCI_LAYER_ZSTD}  # docker has no zstd type: BuildKit uses OCI's


@dataclass(frozen=True)
class CommittedImage:
    """One platform's image, every blob in the content store."""

    descriptor: Descriptor  # the manifest, with its platform
    manifest: Manifest
    config_bytes: bytes
    created: str

    @property
    def config_digest(self) -> str:
        return self.manifest.config.digest


@dataclass(frozen=True)
class CommittedTarget:
    """What an image output names: one manifest, or an index over several platforms."""

    descriptor: Descriptor
    images: tuple[CommittedImage, ...]

    @property
    def config_digest(self) -> str | None:
        """The image id: the config digest of a single-platform image (None for an index)."""
        return self.images[0].config_digest if len(self.images) == 1 else None

    def response(self, names: tuple[str, ...]) -> dict:
        """BuildKit's exporter response keys, as buildx writes them to --metadata-file."""
        created = self.images[0].created
        bare = self.descriptor.bare()
        desc = bare.with_annotations(
            {**({"config.digest": self.config_digest} if self.config_digest else {}),
             **({ANNOTATION_CREATED: created} if created else {})}).to_dict()
        out = {"containerimage.digest": self.descriptor.digest, "containerimage.descriptor": desc}
        if self.config_digest:
            out["containerimage.config.digest"] = self.config_digest
        if names:
            out["image.name"] = ",".join(names)
        return out


def commit(ctx: ExportContext, inputs: list[ExportInput], opts: CommitOptions) -> CommittedTarget:
    """The image of `inputs` under `opts`, committed once per build and options."""
    if opts not in ctx._commits:
        images = tuple(_commit_one(ctx, inp, opts) for inp in inputs)
        desc = images[0].descriptor if len(images) == 1 else _write_index(ctx, images, opts)
        ctx._commits[opts] = CommittedTarget(desc, images)
    return ctx._commits[opts]


def _commit_one(ctx: ExportContext, inp: ExportInput, opts: CommitOptions) -> CommittedImage:
    blobs = ctx.worker.blobs
    layers = [_layer(ctx, layer, opts) for layer in inp.result.layers]
    config = inp.image.to_image_config([layer.diff_id for layer in inp.result.layers], inp.created)
    for key, value in ctx.labels.items():
        config["config"].setdefault("Labels", {})[key] = value
    config.update(inp.config_fields)  # e.g. BuildKit's inline cache field (engine/remotecache)
    config_bytes = ImageConfig.from_dict(config).to_bytes()
    info = write_blob(blobs, config_bytes)
    manifest = Manifest(
        Descriptor(OCI_CONFIG if opts.oci_mediatypes else DOCKER_CONFIG, info.digest, info.size),
        layers, OCI_MANIFEST if opts.oci_mediatypes else DOCKER_MANIFEST, dict(opts.annotations))
    m_info = write_blob(blobs, manifest.to_bytes())
    platform = Platform(config["os"], config["architecture"], config.get("variant", ""))
    desc = Descriptor(manifest.media_type, m_info.digest, m_info.size, platform=platform)
    return CommittedImage(desc, manifest, config_bytes, inp.created)


def _write_index(ctx: ExportContext, images: tuple[CommittedImage, ...], opts: CommitOptions) -> Descriptor:
    index = Index([img.descriptor for img in images], OCI_INDEX if opts.oci_mediatypes else DOCKER_INDEX)
    info = write_blob(ctx.worker.blobs, index.to_bytes())
    return Descriptor(index.media_type, info.digest, info.size)


# --------------------------------------------------------------------- layers --


def _layer(ctx: ExportContext, layer, opts: CommitOptions) -> Descriptor:
    have = layer_compression(layer.media_type)
    from_base = layer.snapshot.startswith("chain-")  # the worker names base layers by chain id
    if opts.force_compression or (have is not opts.compression and not from_base):
        return _recompress(ctx, layer, opts)
    return Descriptor(_media_type(have or Compression.GZIP, opts.oci_mediatypes), layer.digest, layer.size)


def _media_type(kind: Compression, oci: bool) -> str:
    return LAYER_MEDIA_TYPES[kind] if oci else _DOCKER_LAYERS[kind]


def _recompress(ctx: ExportContext, layer, opts: CommitOptions) -> Descriptor:
    """The layer's tar in the asked compression; the diff_id is checked on the way."""
    blobs = ctx.worker.blobs
    with blobs.open_blob(layer.digest) as raw, blobs.ingest() as ingest:
        compressor = compress_writer(opts.compression, ingest, opts.compression_level)
        tar = HashingWriter(compressor)
        shutil.copyfileobj(decompress_reader(raw, layer_compression(layer.media_type)), tar, 1 << 20)
        compressor.close()
        if tar.digest() != layer.diff_id:
            raise CorruptBlobError(layer.diff_id, tar.digest())
        info = ingest.commit()
    return Descriptor(_media_type(opts.compression, opts.oci_mediatypes), info.digest, info.size)
