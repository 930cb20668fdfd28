"""The Python API under `pallet images/rmi/tag/inspect/history/load/save/import`.

Each function does one command's work on a LocalImages and returns data; the CLI only parses
flags and prints. Names come back in their familiar form (`busybox:local`), as docker shows.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from typing import BinaryIO

from pallet.errors import OptionError, UserError
from pallet.image.config import format_time
from pallet.image.descriptor import INDEX_TYPES
from pallet.image.digest import digest_hex
from pallet.image.local import Image, LocalImages
from pallet.image.reference import Reference, parse_reference
from pallet.image.store import ImageRecord


def familiar(name: str) -> str:
    return parse_reference(name).familiar()


@dataclass(frozen=True)
class ImageRow:
    repository: str
    tag: str
    image_id: str
    digest: str
    created: float
    size: int


def list_images(images: LocalImages, repo: str | None = None) -> list[ImageRow]:
    """`pallet images [REPOSITORY[:TAG]]`, newest first."""
    want = parse_reference(repo) if repo else None
    rows = []
    for rec in images.store.list():
        ref = parse_reference(rec.name)
        if want and (ref.name != want.name or (want.tag and ref.tag != want.tag)):
            continue
        rows.append(ImageRow(ref.familiar_name(), ref.tag or "<none>", rec.image_id, ref.digest or rec.target.digest, rec.created, rec.content_size))
    return rows


def remove_images(images: LocalImages, names: list[str], force: bool = False) -> list[str]:
    """`pallet rmi`: the lines docker prints, "Untagged: x" and "Deleted: sha256:..."."""
    out = []
    for text in names:
        records = images.lookup(text)
        if len(records) > 1 and not force and not images.has_name(text):
            raise UserError(
                f"conflict: unable to delete {text} (must be forced) - image is referenced in multiple repositories",
                hint="use -f to remove every name of the image",
            )
        for rec in records:
            images.untag(rec.name)
            out.append(f"Untagged: {familiar(rec.name)}")
            if not images.store.by_image_id(digest_hex(rec.image_id)):
                out.append(f"Deleted: {rec.image_id}")
    return out


def tag_image(images: LocalImages, source: str, target: str) -> ImageRecord:
    rec = images.resolve(source)
    return images.tag(target, rec.target)


def inspect_image(images: LocalImages, text: str) -> dict:
    """docker image inspect's JSON object, for the fields pallet has."""
    rec = images.resolve(text)
    image = images.default_image(rec)
    cfg = image.config
    data = {
        "Id": image.image_id,
        "RepoTags": [familiar(r.name) for r in images.store.by_image_id(digest_hex(image.image_id))],
        "RepoDigests": [],
        "Parent": "",
        "Comment": cfg.extra.get("comment", ""),
        "Created": cfg.created,
        "Author": cfg.author,
        "Config": cfg.config,
        "Architecture": cfg.architecture,
        "Os": cfg.os,
        "Size": rec.content_size,
        "RootFS": {"Type": "layers", "Layers": cfg.diff_ids},
        "Metadata": {"LastTagTime": format_time(rec.updated)},
        "Descriptor": rec.target.to_dict(),
    }
    if cfg.variant:
        data["Variant"] = cfg.variant
    if rec.target.media_type in INDEX_TYPES:
        data["Manifests"] = _manifests(images, rec.target)
    return data


def _manifests(images: LocalImages, target) -> list[dict]:
    """A multi-platform image's manifests, as docker's inspect lists them (ManifestSummary,
    containerd image store): digest, descriptor with platform, and the image's platform."""
    from pallet.content.base import read_blob
    from pallet.image.manifest import Index

    out = []
    for desc in Index.from_bytes(read_blob(images.blobs, target.digest)).manifests:
        summary = {"ID": desc.digest, "Descriptor": desc.to_dict(),
                   "Available": images.blobs.has_blob(desc.digest), "Kind": "image"}
        if desc.platform:
            summary["ImageData"] = {"Platform": desc.platform.to_dict()}
        out.append(summary)
    return out


@dataclass(frozen=True)
class HistoryRow:
    image: str  # the image id for the newest entry, "<missing>" for the others
    created: str
    created_by: str
    size: int
    comment: str


def image_history(images: LocalImages, text: str) -> list[HistoryRow]:
    image = images.image(images.resolve(text))
    layers = iter(image.manifest.layers)
    rows = []
    for h in image.config.history:
        layer = None if h.empty_layer else next(layers, None)
        rows.append(HistoryRow("<missing>", h.created, h.created_by, layer.size if layer else 0, h.comment))
    rows.reverse()
    if rows:
        rows[0] = replace(rows[0], image=image.image_id)
    return rows


# ----------------------------------------------------------- load / save --


def load_archive(images: LocalImages, path: str) -> list[tuple[list[str], str]]:
    """`pallet load -i`: docker-archive or OCI archive, told apart by their index files."""
    from pallet.image.docker_archive import load_docker_archive
    from pallet.image.oci_archive import load_oci_archive
    from pallet.image.tarball import TarballReader

    archive = TarballReader(path)
    try:
        if archive.has("index.json"):
            return load_oci_archive(images, archive)
        if archive.has("manifest.json"):
            return load_docker_archive(images, archive)
        raise UserError(f'"{path}" is not an image archive: it has neither manifest.json nor index.json')
    finally:
        archive.close()


def save_archive(images: LocalImages, names: list[str], out: BinaryIO, fmt: str = "docker") -> None:
    from pallet.image.docker_archive import SaveItem, save_docker_archive
    from pallet.image.oci_archive import save_oci_archive

    if fmt not in ("docker", "oci"):
        raise OptionError(f'unknown archive format "{fmt}"', hint="use --format docker or --format oci")
    picked: list[tuple[Reference | None, ImageRecord]] = []
    for text in names:
        recs = images.lookup(text)
        by_name = images.has_name(text)
        picked += [(parse_reference(r.name) if by_name else None, r) for r in recs[:1]]
    if fmt == "oci":
        save_oci_archive(images, [(ref, rec.target) for ref, rec in picked], out)
        return
    items: dict[str, SaveItem] = {}
    for ref, rec in picked:
        image: Image = images.image(rec)
        item = items.setdefault(image.image_id, SaveItem(image, []))
        if ref is not None and ref.familiar() not in item.names:
            item.names.append(ref.familiar())
    save_docker_archive(images, list(items.values()), out)


def save_to_path(images: LocalImages, names: list[str], path: str, fmt: str = "docker") -> None:
    """Write the archive beside `path` and rename it into place, so a failed save leaves
    no half-written file."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UserError(f"failed to save image: open {path}: no such file or directory",
                        hint=f'create the directory "{directory}" first')
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".pallet-save-")
    try:
        with os.fdopen(fd, "wb") as f:
            save_archive(images, names, f, fmt)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
