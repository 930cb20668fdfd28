"""type=docker,dest=FILE: the committed image as a docker-archive, what `docker load` reads.

Written by pallet's own `docker save` writer (image/docker_archive.py), so RepoTags hold
the familiar names (`app:latest`, `registry:5000/x:1`) as docker save lists them. A docker
archive holds one platform: resolve_outputs refuses several before the build.
"""

from __future__ import annotations

from pallet.exporter.base import ExportContext, ExportInput
from pallet.exporter.commit import commit
from pallet.exporter.destfile import open_dest
from pallet.exporter.outputs import DockerOutput
from pallet.image.docker_archive import SaveItem, save_docker_archive
from pallet.image.local import Image
from pallet.image.reference import parse_reference


def export_docker(ctx: ExportContext, spec: DockerOutput, inputs: list[ExportInput]) -> dict:
    progress = ctx.progress
    v = progress.vertex("exporting to docker image format")
    progress.status(v, "exporting layers done")
    target = commit(ctx, inputs, spec.commit)
    image = target.images[0]
    progress.status(v, f"exporting manifest {image.descriptor.digest} done")
    progress.status(v, f"exporting config {image.config_digest} done")
    item = SaveItem(Image(None, image.descriptor, image.manifest, image.config_bytes),
                    [parse_reference(n).familiar() for n in spec.names])
    with open_dest(spec.dest) as out:
        save_docker_archive(ctx.images, [item], out)
    progress.status(v, "sending tarball done")
    progress.done(v)
    return target.response(spec.names)
