"""`pallet build -o ...`: local, tar, oci, docker outputs, --metadata-file, bad combinations.

Builds a busybox-based Dockerfile whose scratch targets COPY files from a build stage, as the
guide's `--output=bin --target=binaries` example does, and checks what lands on disk with
tools nobody here wrote (tar, skopeo, umoci).
"""

import json
import os
import stat
import subprocess
import tarfile

import pytest

from pallet.testing import busybox_tar, require_runtime, require_tool
from pallet.testing.cli import IMPORT_BUSYBOX, make_context

DOCKERFILE = """\
FROM busybox:local AS build
RUN mkdir -p /out && echo client > /out/client && echo server > /out/server \\
 && chmod 755 /out/server && chmod 640 /out/client && chown 1000:1000 /out/client \\
 && rm /etc/group
FROM scratch AS binaries
COPY --from=build /out/client /out/server /
FROM scratch AS server
COPY --from=build /out/server /bin/server
FROM build AS full
"""


@pytest.fixture(autouse=True)
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("PALLET_ROOT", str(tmp_path / "root"))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "root"


@pytest.fixture
def ctx(tmp_path, pallet):
    require_runtime()
    pallet(*IMPORT_BUSYBOX, str(busybox_tar()), "busybox:local")
    return str(make_context(tmp_path / "ctx", {"Dockerfile": DOCKERFILE}))


def test_output_dir_gets_the_targets_files_only(tmp_path, pallet, ctx):
    pallet("build", "--progress=plain", "--output=bin", "--target=binaries", ctx)
    out = tmp_path / "bin"
    assert sorted(os.listdir(out)) == ["client", "server"]
    assert (out / "server").read_text() == "server\n"
    assert stat.S_IMODE(os.stat(out / "server").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(out / "client").st_mode) == 0o640  # modes kept ...
    assert os.stat(out / "client").st_uid == os.getuid()  # ... owner is the invoking user


def test_output_dot_writes_bin_server(tmp_path, pallet, ctx):
    (tmp_path / "keep.txt").write_text("mine")
    pallet("build", "--output=.", "--target=server", ctx)
    assert (tmp_path / "bin" / "server").read_text() == "server\n"
    assert (tmp_path / "keep.txt").read_text() == "mine"  # merged into, not replaced


def test_tar_output_has_the_merged_filesystem(tmp_path, pallet, ctx):
    pallet("build", "-o", "type=tar,dest=fs.tar", "--target=full", ctx)
    with tarfile.open(tmp_path / "fs.tar") as tar:
        names = set(tar.getnames())
        client = tar.getmember("out/client")
    assert {"bin/busybox", "etc/passwd", "out/server"} <= names
    assert "etc/group" not in names and not any(".wh." in n for n in names)  # whiteout applied
    assert (client.uid, client.gid, client.mode) == (1000, 1000, 0o640)


def test_image_outputs_read_by_skopeo_and_umoci(tmp_path, pallet, ctx):
    require_tool("skopeo")
    require_tool("umoci")
    # Responses merge in output order (BuildKit's solver): the last output's digest is kept.
    pallet("build", "-t", "app:1", "--target=full", "-o", "type=docker,dest=app-docker.tar",
           "-o", "type=oci,dest=app-oci.tar", "-o", "type=oci,tar=false,dest=layout",
           "--metadata-file", "meta.json", "--iidfile", "iid", ctx)
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["image.name"] == "docker.io/library/app:1"
    assert meta["containerimage.descriptor"]["digest"] == meta["containerimage.digest"]
    assert (tmp_path / "iid").read_text() == meta["containerimage.config.digest"]
    for ref in ("oci-archive:app-oci.tar", "oci:layout", "docker-archive:app-docker.tar"):
        got = json.loads(subprocess.run(["skopeo", "inspect", ref], check=True, capture_output=True).stdout)
        assert got["Os"] == "linux" and len(got["Layers"]) == 2, ref
    index = json.loads((tmp_path / "layout" / "index.json").read_text())
    assert index["manifests"][0]["digest"] == meta["containerimage.digest"]
    subprocess.run(["umoci", "unpack", "--image", "layout:1", "unpacked"], check=True, capture_output=True)
    rootfs = tmp_path / "unpacked" / "rootfs"
    assert (rootfs / "out" / "server").read_text() == "server\n"
    assert not (rootfs / "etc" / "group").exists()
    _, out, _ = pallet("images", "app")
    assert out.count("\n") == 1  # oci/docker outputs do not store the image under its name


def test_load_stores_and_docker_archive_loads_back(tmp_path, pallet, ctx):
    pallet("build", "-t", "app:2", "--target=full", "--load", "-o", "type=docker,dest=d.tar",
           "--iidfile", "iid", ctx)
    iid = (tmp_path / "iid").read_text()
    _, out, _ = pallet("images", "-q", "app:2")
    assert iid[7:19] == out.strip()
    pallet("rmi", "app:2")
    pallet("load", "-i", "d.tar")
    _, out, _ = pallet("images", "-q", "app:2")
    assert out.strip() == iid[7:19]


def test_zstd_recompression(tmp_path, pallet, ctx):
    pytest.importorskip("zstandard")
    pallet("build", "--target=full", "-o", "type=oci,tar=false,dest=z,compression=zstd", ctx)
    index = json.loads((tmp_path / "z" / "index.json").read_text())
    digest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads((tmp_path / "z" / "blobs" / "sha256" / digest).read_text())
    types = [layer["mediaType"] for layer in manifest["layers"]]
    # the build's own layer is converted; busybox's keeps its gzip blob (no force-compression)
    assert types == ["application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+zstd"]


BAD = [
    (["--load", "--push", "-t", "a"], "error: push and load may not be set together at the moment"),
    (["-o", "type=lcoal,dest=x"], 'error: output type "lcoal" is not supported (did you mean "local"?)'),
    (["-o", "type=oci,dest=a.tar,compresion=zstd"],
     'error: unknown attribute "compresion" for output type=oci (did you mean "compression"?)'),
    (["-o", "file.txt"], "error: destination directory file.txt is a file"),
    (["--platform", "linux/amd64,linux/arm64", "-o", "type=docker,dest=a.tar"],
     "error: docker exporter does not currently support exporting manifest lists"),
]


@pytest.mark.parametrize("args,message", BAD, ids=["load+push", "type", "attribute", "file", "docker-multi"])
def test_bad_outputs_fail_before_building(tmp_path, root, pallet, args, message):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    code, out, err = pallet("build", *args, str(tmp_path), ok=False)
    assert code == 2
    assert err.splitlines()[0] == message
    assert err.splitlines()[-1].startswith("hint: ")
    assert "Traceback" not in err and not root.exists()  # nothing was built, no state touched
