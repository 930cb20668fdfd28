"""The local image store end to end, through the CLI: import, images, tag, save, load, rmi."""

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

from pallet.testing import require_tool, skip_or_fail


BASE_CHANGES = ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["sh"]']


@pytest.fixture(autouse=True)
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("PALLET_ROOT", str(tmp_path / "root"))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return tmp_path / "root"


def make_rootfs(path, files=None, mtime=1_672_531_200):
    files = files or {"bin/hello": b"#!/bin/sh\necho hi\n", "etc/passwd": b"root:x:0:0::/root:/bin/sh\n"}
    with tarfile.open(path, "w") as tar:
        for d in sorted({os.path.dirname(f) for f in files}):
            info = tarfile.TarInfo("./" + d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, mtime
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo("./" + name)
            info.size, info.mode, info.mtime = len(data), 0o755, mtime
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def imported(tmp_path, pallet):
    rootfs = make_rootfs(tmp_path / "rootfs.tar")
    _, out, _ = pallet("import", *sum((["--change", c] for c in BASE_CHANGES), []), str(rootfs), "base:local")
    return out.strip()


def test_import_lists_like_docker(pallet, imported):
    assert imported.startswith("sha256:") and len(imported) == 71
    _, out, _ = pallet("images")
    head, row = out.splitlines()
    assert head == "REPOSITORY   TAG       IMAGE ID       CREATED                  SIZE"
    assert row.split()[:3] == ["base", "local", imported[7:19]]
    assert "ago" in row
    _, out, _ = pallet("images", "-q")
    assert out == imported[7:19] + "\n"


def test_import_config_and_history(pallet, imported):
    _, out, _ = pallet("inspect", "base:local")
    (data,) = json.loads(out)
    assert data["Id"] == imported
    assert data["Config"] == {"Env": [BASE_CHANGES[0].split(" ", 1)[1]], "Cmd": ["sh"], "OnBuild": None}
    assert data["Created"] == "2023-01-01T00:00:00Z"  # the newest mtime in the tarball
    assert data["RepoTags"] == ["base:local"]
    _, out, _ = pallet("history", "base:local")
    assert out.splitlines()[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    assert out.splitlines()[1].startswith(imported[7:19])


def test_import_is_deterministic(tmp_path, pallet, imported, monkeypatch):
    monkeypatch.setenv("PALLET_ROOT", str(tmp_path / "other-root"))
    rootfs = make_rootfs(tmp_path / "rootfs2.tar")
    _, out, _ = pallet("import", *sum((["--change", c] for c in BASE_CHANGES), []), str(rootfs), "base:local")
    assert out.strip() == imported
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000")
    _, out, _ = pallet("import", str(rootfs), "base:epoch")
    assert out.strip() != imported


def test_docker_archive_round_trip(tmp_path, pallet, imported):
    archive = tmp_path / "base.tar"
    pallet("save", "-o", str(archive), "base:local")
    manifest = json.loads(tarfile.open(archive).extractfile("manifest.json").read())
    assert manifest[0]["RepoTags"] == ["base:local"]
    _, out, _ = pallet("rmi", "base:local")
    assert out.splitlines() == ["Untagged: base:local", f"Deleted: {imported}"]
    assert pallet("images", "-q")[1] == ""
    _, out, _ = pallet("load", "-i", str(archive))
    assert out == "Loaded image: base:local\n"
    _, out, _ = pallet("images", "--no-trunc", "-q")
    assert out.strip() == imported


def test_oci_archive_round_trip(tmp_path, pallet, imported):
    archive = tmp_path / "base-oci.tar"
    pallet("save", "--format", "oci", "-o", str(archive), "base:local")
    tar = tarfile.open(archive)
    index = json.loads(tar.extractfile("index.json").read())
    assert index["manifests"][0]["annotations"] == {
        "io.containerd.image.name": "docker.io/library/base:local",
        "org.opencontainers.image.ref.name": "local",
    }
    pallet("rmi", "base:local")
    _, out, _ = pallet("load", "-i", str(archive))
    assert out == "Loaded image: base:local\n"
    _, out, _ = pallet("inspect", "-f", "{{.Id}}", "base:local")
    assert out.strip() == imported
    again = tmp_path / "again.tar"
    pallet("save", "--format", "oci", "-o", str(again), "base:local")
    assert again.read_bytes() == archive.read_bytes()


def test_tag_and_rmi_by_id(pallet, imported):
    pallet("tag", "base:local", "localhost:5000/team/base:v1")
    _, out, _ = pallet("images", "localhost:5000/team/base")
    assert len(out.splitlines()) == 2 and "localhost:5000/team/base" in out
    code, _, err = pallet("rmi", imported[7:19], ok=False)
    assert code == 1 and "must be forced" in err
    _, out, _ = pallet("rmi", "-f", imported[7:19])
    assert out.splitlines()[-1] == f"Deleted: {imported}"


BAD_INPUT = [
    (["inspect", "nope"], "error: No such image: nope"),
    (["rmi", "nope:1"], "error: No such image: nope:1"),
    (["tag", "base:local", "Bad:Name"], "invalid reference format: repository name must be lowercase"),
    (["import", "/does/not/exist", "x:1"], 'cannot open "/does/not/exist"'),
    (["import", "--change", "RUN make", "/dev/null", "x:1"], '"RUN" is not allowed'),
    (["import", "--platform", "linux//x", "/dev/null", "x:1"], 'invalid platform "linux//x"'),
    (["load", "-i", "/etc/hostname"], "is not a valid image archive"),
    (["save", "--format", "oci", "-o", "/tmp/unused.tar", "ghost"], "No such image: ghost"),
]


@pytest.mark.parametrize("argv,message", BAD_INPUT, ids=[" ".join(a[:2]) for a, _ in BAD_INPUT])
def test_bad_input_is_a_clear_error(pallet, imported, argv, message):
    code, _, err = pallet(*argv, ok=False)
    assert code in (1, 2)
    assert message in err
    assert "Traceback" not in err


def test_tampered_blob_is_a_corrupt_blob_error(tmp_path, pallet, imported, monkeypatch):
    archive = tmp_path / "oci.tar"
    pallet("save", "--format", "oci", "-o", str(archive), "base:local")
    evil = tmp_path / "evil.tar"
    with tarfile.open(archive) as src, tarfile.open(evil, "w") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read() if m.isfile() else None
            if m.name == f"blobs/sha256/{imported[7:]}":
                data = data.replace(b'"sh"', b'"zz"')
            dst.addfile(m, io.BytesIO(data) if data is not None else None)
    monkeypatch.setenv("PALLET_ROOT", str(tmp_path / "fresh-root"))  # blobs already held are not re-read
    code, _, err = pallet("load", "-i", str(evil), ok=False)
    assert code == 1 and f"blob digest mismatch: expected {imported}" in err


def test_import_from_stdin_gzip(tmp_path, pallet, monkeypatch):
    import gzip

    data = gzip.compress(make_rootfs(tmp_path / "r.tar").read_bytes())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    _, out, _ = pallet("import", "-", "fromstdin")
    _, listed, _ = pallet("images", "fromstdin")
    assert out.strip()[7:19] in listed and "latest" in listed


# ------------------------------------------------------------- interop --


def test_skopeo_reads_both_archives(tmp_path, pallet, imported):
    skopeo = require_tool("skopeo")
    docker_tar, oci_tar = tmp_path / "d.tar", tmp_path / "o.tar"
    pallet("save", "-o", str(docker_tar), "base:local")
    pallet("save", "--format", "oci", "-o", str(oci_tar), "base:local")
    for transport in (f"docker-archive:{docker_tar}", f"oci-archive:{oci_tar}"):
        out = subprocess.run([skopeo, "inspect", "--config", transport], check=True, capture_output=True, text=True)
        config = json.loads(out.stdout)
        assert config["config"]["Cmd"] == ["sh"], transport
        assert len(config["rootfs"]["diff_ids"]) == 1


def test_umoci_unpacks_the_oci_archive(tmp_path, pallet, imported):
    umoci = require_tool("umoci")
    archive = tmp_path / "o.tar"
    pallet("save", "--format", "oci", "-o", str(archive), "base:local")
    layout = tmp_path / "layout"
    layout.mkdir()
    tarfile.open(archive).extractall(layout, filter="tar")
    subprocess.run([umoci, "unpack", "--image", f"{layout}:local", str(tmp_path / "bundle")], check=True, capture_output=True)
    assert (tmp_path / "bundle" / "rootfs" / "bin" / "hello").read_bytes() == b"#!/bin/sh\necho hi\n"


def test_busybox_base_matches_the_golden(tmp_path, pallet, shared_dir):
    """`pallet import` of make_base.sh's rootfs gives exactly golden/_base.json."""
    goldens = shared_dir / "buildkit-goldens"
    if os.geteuid() != 0 or not (shutil.which("busybox") or os.path.exists("/bin/busybox")):
        skip_or_fail(["root and busybox-static (apt-get install -y busybox-static)"])
    rootfs = tmp_path / "busybox-rootfs.tar"
    subprocess.run(["bash", str(goldens / "tools" / "make_base.sh"), str(rootfs)], check=True, capture_output=True)
    pallet("import", *sum((["--change", c] for c in BASE_CHANGES), []), str(rootfs), "busybox:local")
    archive = tmp_path / "base.tar"
    pallet("save", "-o", str(archive), "busybox:local")
    sys.path.insert(0, str(goldens / "tools"))
    try:
        import flatten
    finally:
        sys.path.pop(0)
    got = flatten.flatten(str(archive), "busybox:local")
    assert got == json.loads((goldens / "golden" / "_base.json").read_text())


def _legacy_archive(path, layer_tar: bytes, diff_id: str):
    """An old `docker save` layout: <id>/layer.tar (gzip'd here), a symlinked duplicate."""
    import gzip
    import hashlib

    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id, diff_id]}}).encode()
    cid = hashlib.sha256(config).hexdigest()
    manifest = json.dumps([{"Config": f"{cid}.json", "RepoTags": ["legacy:1"],
                            "Layers": ["aaa/layer.tar", "bbb/layer.tar"]}]).encode()
    with tarfile.open(path, "w") as tar:
        for name, data in ((f"{cid}.json", config), ("aaa/layer.tar", gzip.compress(layer_tar)), ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("bbb/layer.tar")
        link.type, link.linkname = tarfile.SYMTYPE, "../aaa/layer.tar"
        tar.addfile(link)
    return "sha256:" + cid


def test_legacy_docker_archive_loads(tmp_path, pallet):
    import hashlib

    layer_tar = make_rootfs(tmp_path / "l.tar").read_bytes()
    image_id = _legacy_archive(tmp_path / "legacy.tar", layer_tar, "sha256:" + hashlib.sha256(layer_tar).hexdigest())
    _, out, _ = pallet("load", "-i", str(tmp_path / "legacy.tar"))
    assert out == "Loaded image: legacy:1\n"
    assert pallet("inspect", "-f", "{{.Id}}", "legacy:1")[1].strip() == image_id


def test_docker_archive_with_wrong_diff_id(tmp_path, pallet):
    layer_tar = make_rootfs(tmp_path / "l.tar").read_bytes()
    _legacy_archive(tmp_path / "bad.tar", layer_tar, "sha256:" + "0" * 64)
    code, _, err = pallet("load", "-i", str(tmp_path / "bad.tar"), ok=False)
    assert code == 1 and "blob digest mismatch: expected sha256:" + "0" * 64 in err


def test_concurrent_imports_share_a_fresh_root(tmp_path, root):
    rootfs = make_rootfs(tmp_path / "r.tar")
    cmd = [sys.executable, "-m", "pallet.cli.main", "import", str(rootfs)]
    env = dict(os.environ, PALLET_ROOT=str(root))
    procs = [subprocess.Popen(cmd + [f"same:{i}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(4)]
    results = [p.communicate() + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0] * 4, [r[1] for r in results]
    assert len({r[0] for r in results}) == 1  # one image id
