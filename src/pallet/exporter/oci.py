"""type=oci: the committed image as an OCI image layout (BuildKit's oci exporter).

A tar by default (`dest=FILE` or stdout), a directory with `tar=false`. index.json has one
entry per name (`io.containerd.image.name` = the full reference, `org.opencontainers.image
.ref.name` = its tag, as BuildKit and containerd write them), or one unnamed entry; each entry
also carries `org.opencontainers.image.created`. With several platforms the entry is an index.
"""

from __future__ import annotations

from pallet.exporter.base import ExportContext, ExportInput
from pallet.exporter.commit import ANNOTATION_CREATED, commit
from pallet.exporter.destfile import open_dest
from pallet.exporter.layoutdir import LayoutDirWriter
from pallet.exporter.outputs import OciOutput
from pallet.image.descriptor import Descriptor
from pallet.image.oci_archive import name_annotations, write_oci_layout
from pallet.image.reference import parse_reference
from pallet.image.tarball import TarballWriter


def export_oci(ctx: ExportContext, spec: OciOutput, inputs: list[ExportInput]) -> dict:
    progress = ctx.progress
    v = progress.vertex("exporting to oci image format")
    progress.status(v, "exporting layers done")
    target = commit(ctx, inputs, spec.commit)
    progress.status(v, f"exporting manifest {target.descriptor.digest} done")
    entries = index_entries(target.descriptor, spec.names, target.images[0].created)
    if spec.tar:
        with open_dest(spec.dest) as out:
            writer = TarballWriter(out)
            write_oci_layout(ctx.images, writer, entries)
            writer.close()
    else:
        write_oci_layout(ctx.images, LayoutDirWriter(spec.dest), entries)
    progress.status(v, "sending tarball done" if spec.tar else f"exporting to {spec.dest} done")
    progress.done(v)
    return target.response(spec.names)


def index_entries(desc: Descriptor, names: tuple[str, ...], created: str) -> list[Descriptor]:
    base = {ANNOTATION_CREATED: created} if created else {}
    bare = desc.bare()  # a platform only inside an index
    if not names:
        return [bare.with_annotations(base)]
    return [bare.with_annotations({**base, **name_annotations(parse_reference(n))}) for n in names]
