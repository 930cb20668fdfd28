"""Exporting a solved target: hand it to the build's outputs (pallet.exporter).

With no -o/--load/--push the one output is the local image store, as it always was: config,
manifest, names. `--iidfile` and `--metadata-file` are written from the exporters' responses.
"""

from __future__ import annotations

from dataclasses import replace

from pallet.engine.api import BuildResult


def export_image(worker, progress, target, result, options, *, created: str,
                 outputs=None, config_fields: dict | None = None,
                 inputs: list | None = None) -> BuildResult:
    from pallet.exporter.base import ExportContext, ExportInput
    from pallet.exporter.metadata import image_id, write_iidfile, write_metadata_file
    from pallet.exporter.outputs import resolve_outputs
    from pallet.exporter.run import export_all

    specs = outputs if outputs is not None else resolve_outputs(options)
    ctx = ExportContext(worker, progress, dict(options.labels or {}), worker.epoch)
    # One input per platform (`inputs`, from engine/platforms.py), else the one target.
    if inputs is None:
        inputs = [ExportInput(result, target.image, created, (options.platforms or [""])[0])]
    # config_fields: top-level image config keys, e.g. --cache-to type=inline's
    # `moby.buildkit.cache.v0` (engine/remotecache); computed for the first platform.
    inputs = [replace(inputs[0], config_fields=dict(config_fields or {})), *inputs[1:]]
    response = export_all(ctx, specs, inputs)
    if options.iidfile:
        write_iidfile(options.iidfile, response)
    if options.metadata_file:
        write_metadata_file(options.metadata_file, response)
    names = tuple(n for n in response.get("image.name", "").split(",") if n)
    return BuildResult(image_id(response), response.get("containerimage.digest", ""), names)
