"""OCI image-layout archives (image-spec image-layout.md), as buildx `--output type=oci` writes.

    oci-layout        {"imageLayoutVersion":"1.0.0"}
    index.json        one entry per name, annotated with `io.containerd.image.name` (the full
                      reference) and `org.opencontainers.image.ref.name` (the tag)
    blobs/sha256/...  every blob the entries reach, stored bytes unchanged
Loading copies every reachable blob, verifying its digest and size (CorruptBlobError).
Index children missing from the archive (other platforms left out) are skipped.
"""

from __future__ import annotations

import json
from typing import BinaryIO

from pallet.content.base import copy_blob, read_blob
from pallet.content.local import OCI_LAYOUT
from pallet.errors import UserError
from pallet.image.descriptor import (
    ANNOTATION_IMAGE_NAME,
    ANNOTATION_REF_NAME,
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_INDEX,
    Descriptor,
)
from pallet.image.digest import HashingReader, digest_hex
from pallet.image.local import LocalImages
from pallet.image.manifest import Index, Manifest
from pallet.image.reference import Reference, parse_reference
from pallet.image.tarball import TarballReader, TarballWriter


def _children(images: LocalImages, desc: Descriptor) -> list[Descriptor]:
    if desc.media_type in INDEX_TYPES:
        return Index.from_bytes(read_blob(images.blobs, desc.digest)).manifests
    if desc.media_type in MANIFEST_TYPES:
        m = Manifest.from_bytes(read_blob(images.blobs, desc.digest))
        return [m.config, *m.layers]
    return []


# --------------------------------------------------------------------- save --


def save_oci_archive(images: LocalImages, named: list[tuple[Reference, Descriptor]], out: BinaryIO) -> None:
    writer = TarballWriter(out)
    write_oci_layout(images, writer, [target.with_annotations(name_annotations(ref)) for ref, target in named])
    writer.close()


def name_annotations(ref: Reference) -> dict[str, str]:
    """The annotations that name an index.json entry (containerd's and the OCI spec's)."""
    annotations = {ANNOTATION_IMAGE_NAME: str(ref)}
    if ref.tag:
        annotations[ANNOTATION_REF_NAME] = ref.tag
    return annotations


def write_oci_layout(images: LocalImages, writer, entries: list[Descriptor]) -> None:
    """oci-layout, every blob `entries` reach, and index.json listing `entries` as given.

    `writer` is anything with TarballWriter's add/add_bytes: a tarball, or a directory
    (`pallet build -o type=oci,tar=false`)."""
    writer.add_bytes("oci-layout", OCI_LAYOUT)
    written: set[str] = set()
    for target in entries:
        _write_tree(images, writer, target, written)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
             "manifests": [target.to_dict() for target in entries]}
    writer.add_bytes("index.json", json.dumps(index, separators=(",", ":")).encode())


def _write_tree(images: LocalImages, writer: TarballWriter, desc: Descriptor, written: set[str]) -> None:
    if desc.digest in written or (desc.media_type in INDEX_TYPES and not images.blobs.has_blob(desc.digest)):
        return
    written.add(desc.digest)
    with images.blobs.open_blob(desc.digest) as f:
        reader = HashingReader(f, desc.digest)
        writer.add(f"blobs/sha256/{digest_hex(desc.digest)}", reader, desc.size)  # type: ignore[arg-type]
        reader.verify()
    for child in _children(images, desc):
        if child.media_type in INDEX_TYPES or child.media_type in MANIFEST_TYPES:
            if not images.blobs.has_blob(child.digest):
                continue  # a platform that was never pulled
        _write_tree(images, writer, child, written)


# --------------------------------------------------------------------- load --


def load_oci_archive(images: LocalImages, archive: TarballReader) -> list[tuple[list[str], str]]:
    index = archive.read_json("index.json")
    if not isinstance(index, dict) or not isinstance(index.get("manifests"), list):
        raise UserError(f'"{archive.path}": index.json has no manifests list')
    loaded = []
    for raw in index["manifests"]:
        desc = Descriptor.from_dict(raw)
        _load_tree(images, archive, desc, top=True)
        name = _name_of(desc)
        names = [name] if name else []
        for n in names:
            images.tag(n, desc.with_annotations({}))
        loaded.append((names, images.image(desc).image_id))
    return loaded


def _load_tree(images: LocalImages, archive: TarballReader, desc: Descriptor, top: bool = False) -> None:
    path = f"blobs/sha256/{digest_hex(desc.digest)}"
    if not archive.has(path):
        if desc.media_type in INDEX_TYPES or (desc.media_type in MANIFEST_TYPES and not top):
            return  # a platform left out of the archive
        raise UserError(f'"{archive.path}" is missing blob {desc.digest}', hint="the archive is incomplete")
    if not images.blobs.has_blob(desc.digest):
        with archive.open(path) as f:
            copy_blob(f, images.blobs, desc.digest, desc.size)
    for child in _children(images, desc):
        _load_tree(images, archive, child)


def _name_of(desc: Descriptor) -> str | None:
    """The full reference an index entry names, if it names one."""
    for key in (ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME):
        value = desc.annotations.get(key)
        if not value:
            continue
        try:
            ref = parse_reference(value)
        except UserError:
            continue  # ref.name is often just a tag ("latest"): not a name on its own
        if key == ANNOTATION_REF_NAME and "/" not in value and ":" not in value:
            continue
        return str(ref.with_default_tag())
    return None
