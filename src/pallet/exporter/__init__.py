"""Exporters: where a solved build goes (BuildKit's `exporter/` tree).

`outputs.resolve_outputs(options)` turns `-o/--load/--push/-t` into typed specs before the
build; after it, `run.export_all(...)` hands each spec the build's results, one
`ExportInput` per platform, and collects the responses `--metadata-file` writes:
    local.py   the target's filesystem into a directory      (type=local)
    tar.py     the target's filesystem as a tar file/stdout   (type=tar)
    oci.py     an OCI image layout, tar or directory          (type=oci)
    docker.py  a docker-archive for `docker load`             (type=docker,dest=...)
    image.py   the local image store, and a push              (type=image|registry, --load)
Image-shaped outputs share `commit.py` (layers, config, manifest/index); filesystem-shaped
ones share `rootfs.py` (a read-only merged view of the layers).
"""
