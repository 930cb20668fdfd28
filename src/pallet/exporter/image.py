"""type=image (and --load, type=registry): the committed image into the local store, named.

BuildKit's image exporter stores the image in the worker's image store under every name it
was given; `push=true` then sends it to a registry. With no name the image is still stored
(its blobs stay; `pallet images` lists nothing for it), as a `docker build` without -t.
"""

from __future__ import annotations

from pallet.exporter.base import ExportContext, ExportInput
from pallet.exporter.commit import commit
from pallet.exporter.outputs import ImageOutput


def export_image(ctx: ExportContext, spec: ImageOutput, inputs: list[ExportInput]) -> dict:
    progress = ctx.progress
    v = progress.vertex("exporting to image")
    progress.status(v, "exporting layers done")
    target = commit(ctx, inputs, spec.commit)
    for image in target.images:
        progress.status(v, f"exporting manifest {image.descriptor.digest} done")
        progress.status(v, f"exporting config {image.config_digest} done")
    if len(target.images) > 1:
        progress.status(v, f"exporting manifest list {target.descriptor.digest} done")
    # A push reads the image from the store by name, so pushing stores it even with store=false.
    names = _store(ctx, spec, target, v) if spec.store or spec.push else []
    if spec.push:
        _push(ctx, spec, target, v)
    progress.done(v)
    return target.response(tuple(names))


def _store(ctx: ExportContext, spec: ImageOutput, target, v) -> list[str]:
    images = ctx.images
    # The record points at the bare manifest (no platform), as builds always recorded it.
    bare = target.descriptor.bare()
    names = []
    for name in spec.names:
        record = images.tag(name, bare)
        names.append(record.name)
        ctx.progress.status(v, f"naming to {record.name} done")
    return names


def _push(ctx: ExportContext, spec: ImageOutput, target, v) -> None:
    """Each name up to its registry, from the local store the image was just named in."""
    from pallet.registry.api import push

    for name in spec.names:
        ctx.progress.status(v, f"pushing {name}")
        push(name, images=ctx.images, report=lambda line: ctx.progress.status(v, line))
