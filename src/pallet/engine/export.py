"""Exporting a solved target to the local image store: config, manifest, names."""

from __future__ import annotations

from pallet.engine.api import BuildResult


def export_image(worker, progress, target, result, options, *, created: str) -> BuildResult:
    from pallet.content.base import write_blob
    from pallet.image.config import ImageConfig
    from pallet.image.descriptor import OCI_CONFIG, OCI_MANIFEST, Descriptor
    from pallet.image.local import LocalImages
    from pallet.image.manifest import Manifest
    from pallet.image.store import ImageStore

    v = progress.vertex("exporting to image")
    progress.status(v, "exporting layers done")
    layers = result.layers
    config = target.image.to_image_config([layer.diff_id for layer in layers], created)
    for key, value in (options.labels or {}).items():
        config["config"].setdefault("Labels", {})[key] = value
    config_bytes = ImageConfig.from_dict(config).to_bytes()
    config_info = write_blob(worker.blobs, config_bytes)
    manifest = Manifest(
        Descriptor(OCI_CONFIG, config_info.digest, config_info.size),
        [Descriptor(layer.media_type, layer.digest, layer.size) for layer in layers],
    )
    manifest_info = write_blob(worker.blobs, manifest.to_bytes())
    manifest_desc = Descriptor(OCI_MANIFEST, manifest_info.digest, manifest_info.size)
    progress.status(v, f"exporting manifest {manifest_info.digest} done")
    progress.status(v, f"exporting config {config_info.digest} done")
    images = LocalImages(worker.blobs, ImageStore(worker.db))
    names = []
    for tag in options.tags:
        record = images.tag(tag, manifest_desc)
        names.append(record.name)
        progress.status(v, f"naming to {record.name} done")
    progress.done(v)
    return BuildResult(config_info.digest, manifest_info.digest, tuple(names))
