"""Run every resolved output over a build's results; one response for --metadata-file."""

from __future__ import annotations

from pallet.exporter.base import ExportContext, ExportInput
from pallet.exporter.outputs import DockerOutput, ImageOutput, LocalOutput, OciOutput, OutputSpec, TarOutput


def _exporters() -> dict:
    from pallet.exporter.docker import export_docker
    from pallet.exporter.image import export_image
    from pallet.exporter.local import export_local
    from pallet.exporter.oci import export_oci
    from pallet.exporter.tar import export_tar

    return {LocalOutput: export_local, TarOutput: export_tar, OciOutput: export_oci,
            DockerOutput: export_docker, ImageOutput: export_image}


def export_all(ctx: ExportContext, specs: list[OutputSpec], inputs: list[ExportInput]) -> dict:
    """Export `inputs` (one per platform) to each output in order; merged responses."""
    exporters = _exporters()
    response: dict = {}
    for spec in specs:
        response.update(exporters[type(spec)](ctx, spec, inputs))
    return response
