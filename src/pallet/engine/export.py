"""Exporting a solved target: hand it to the build's outputs (pallet.exporter).

With no -o/--load/--push the one output is the local image store, as it always was: config,
manifest, names. `--iidfile` and `--metadata-file` are written from the exporters' responses.
"""

from __future__ import annotations

from pallet.engine.api import BuildResult


def export_image(worker, progress, options, *, outputs, inputs: list) -> BuildResult:
    """`outputs`: the resolved -o/--load/--push specs; `inputs`: one ExportInput per
    platform, in --platform order (engine/platforms.py)."""
    from pallet.exporter.base import ExportContext
    from pallet.exporter.metadata import image_id, write_iidfile, write_metadata_file
    from pallet.exporter.run import export_all

    ctx = ExportContext(worker, progress, dict(options.labels or {}), worker.epoch)
    response = export_all(ctx, outputs, inputs)
    if options.iidfile:
        write_iidfile(options.iidfile, response)
    if options.metadata_file:
        write_metadata_file(options.metadata_file, response)
    names = tuple(n for n in response.get("image.name", "").split(",") if n)
    return BuildResult(image_id(response), response.get("containerimage.digest", ""), names)
