"""Run every resolved output over a build's results; one response for --metadata-file."""

from __future__ import annotations

from importlib import import_module

from pallet.exporter.base import ExportContext, ExportInput
from pallet.exporter.outputs import DockerOutput, ImageOutput, LocalOutput, OciOutput, OutputSpec, TarOutput

# output spec -> (module, function); a module is imported only when a build has that output,
# so the default build (the local image store) does not load the archive writers.
_EXPORTERS = {
    LocalOutput: ("pallet.exporter.local", "export_local"),
    TarOutput: ("pallet.exporter.tar", "export_tar"),
    OciOutput: ("pallet.exporter.oci", "export_oci"),
    DockerOutput: ("pallet.exporter.docker", "export_docker"),
    ImageOutput: ("pallet.exporter.image", "export_image"),
}


def _exporter(spec: OutputSpec):
    module, name = _EXPORTERS[type(spec)]
    return getattr(import_module(module), name)


def export_all(ctx: ExportContext, specs: list[OutputSpec], inputs: list[ExportInput]) -> dict:
    """Export `inputs` (one per platform) to each output in order; merged responses."""
    response: dict = {}
    for spec in specs:
        response.update(_exporter(spec)(ctx, spec, inputs))
    return response
