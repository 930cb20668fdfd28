"""docker-archive: what `docker save` writes and `docker load` reads.

Layout written (Docker 25's, which skopeo, docker load and older tools all read):
    manifest.json            [{"Config": "blobs/sha256/<id>", "RepoTags": [...], "Layers": [...]}]
    blobs/sha256/<hex>       the config, and each layer as an *uncompressed* tar named by its
                             diff_id (docker load checks layers against rootfs.diff_ids)
Read: that layout and the older one (`<id>/layer.tar`, links between members), with plain,
gzip or zstd layers. Layers are stored as they come; the config bytes are kept exactly, so
the image id (config digest) survives a save/load round trip.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from pallet.archive.compression import Compression, decompress_reader, detect
from pallet.content.base import copy_blob, write_blob
from pallet.errors import CorruptBlobError, UserError
from pallet.image.config import ImageConfig
from pallet.image.descriptor import OCI_CONFIG, OCI_MANIFEST, Descriptor
from pallet.image.digest import HashingReader, HashingWriter, digest_hex
from pallet.image.layers import LAYER_MEDIA_TYPES, layer_compression
from pallet.image.local import Image, LocalImages
from pallet.image.manifest import Manifest
from pallet.image.reference import parse_tagged
from pallet.image.tarball import TarballReader, TarballWriter

SPOOL_LIMIT = 64 << 20


@dataclass
class SaveItem:
    """One image to save and the names to list for it (familiar form, e.g. `busybox:local`)."""

    image: Image
    names: list[str]


# --------------------------------------------------------------------- save --


def save_docker_archive(images: LocalImages, items: list[SaveItem], out: BinaryIO) -> None:
    writer = TarballWriter(out)
    entries, written = [], set()
    for item in items:
        layers = [_add_layer(images, writer, desc, diff_id, written) for desc, diff_id in _layers_of(item.image)]
        config_name = f"blobs/sha256/{digest_hex(item.image.image_id)}"
        if config_name not in written:
            written.add(config_name)
            writer.add_bytes(config_name, item.image.config_bytes)
        entries.append({"Config": config_name, "RepoTags": item.names or None, "Layers": layers})
    writer.add_bytes("manifest.json", json.dumps(entries, separators=(",", ":")).encode())
    writer.close()


def _layers_of(image: Image) -> list[tuple[Descriptor, str]]:
    diff_ids = image.config.diff_ids
    if len(diff_ids) != len(image.manifest.layers):
        raise UserError(
            f"image {image.image_id} has {len(image.manifest.layers)} layers but {len(diff_ids)} diff_ids",
            hint="the image is corrupt; pull or build it again",
        )
    return list(zip(image.manifest.layers, diff_ids))


def _add_layer(images: LocalImages, writer: TarballWriter, desc: Descriptor, diff_id: str, written: set) -> str:
    name = f"blobs/sha256/{digest_hex(diff_id)}"
    if name in written:
        return name
    written.add(name)
    with images.blobs.open_blob(desc.digest) as blob, tempfile.SpooledTemporaryFile(SPOOL_LIMIT) as tmp:
        outer = HashingReader(blob, desc.digest)
        inner = HashingWriter(tmp)
        shutil.copyfileobj(decompress_reader(outer, layer_compression(desc.media_type)), inner, 1 << 20)
        outer.verify()
        if inner.digest() != diff_id:
            raise CorruptBlobError(diff_id, inner.digest())
        tmp.seek(0)
        writer.add(name, tmp, inner.size)  # type: ignore[arg-type]
    return name


# --------------------------------------------------------------------- load --


def load_docker_archive(images: LocalImages, archive: TarballReader) -> list[tuple[list[str], str]]:
    """Store every image of manifest.json; returns (names tagged, image id) per image."""
    entries = archive.read_json("manifest.json")
    if not isinstance(entries, list) or not entries:
        raise UserError(f'"{archive.path}": manifest.json lists no image')
    loaded = []
    for entry in entries:
        if not isinstance(entry, dict) or "Config" not in entry:
            raise UserError(f'"{archive.path}": invalid manifest.json entry {entry!r}')
        target = _load_entry(images, archive, entry)
        names = [str(parse_tagged(t)) for t in entry.get("RepoTags") or []]
        for name in names:
            images.tag(name, target)
        loaded.append((names, images.image(target).image_id))
    return loaded


def _load_entry(images: LocalImages, archive: TarballReader, entry: dict) -> Descriptor:
    config_bytes = archive.read(entry["Config"])
    cfg = write_blob(images.blobs, config_bytes)
    config = ImageConfig.from_bytes(config_bytes)
    layer_names = entry.get("Layers") or []
    if len(layer_names) != len(config.diff_ids):
        raise UserError(f'"{archive.path}": {len(layer_names)} layers but the config lists {len(config.diff_ids)} diff_ids')
    layers = [_load_layer(images, archive, n, d) for n, d in zip(layer_names, config.diff_ids)]
    manifest = Manifest(Descriptor(OCI_CONFIG, cfg.digest, cfg.size), layers)
    info = write_blob(images.blobs, manifest.to_bytes())
    return Descriptor(OCI_MANIFEST, info.digest, info.size)


def _load_layer(images: LocalImages, archive: TarballReader, name: str, diff_id: str) -> Descriptor:
    member = archive.member(name)
    with archive.open(name) as f:
        kind = detect(f.read(4))
        f.seek(0)  # within the reader's buffer: a compressed archive is not read again
        info = copy_blob(f, images.blobs, size=member.size)
    if kind is Compression.NONE:
        got = info.digest
    else:
        with images.blobs.open_blob(info.digest) as blob:
            got = HashingReader(decompress_reader(blob, kind)).verify()
    if got != diff_id:
        raise CorruptBlobError(diff_id, got)
    return Descriptor(LAYER_MEDIA_TYPES[kind], info.digest, info.size)
