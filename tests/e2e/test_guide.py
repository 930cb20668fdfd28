"""The Docker build guide's progression on its example app (examples/buildme), end to end:
the CLI as a subprocess, a Go base image made by scripts/make-golang-image (mmdebstrap),
the built binaries run on the host and talk to each other, and tools nobody here wrote
(skopeo, umoci) read what `pallet save` writes.

mmdebstrap runs once per version of scripts/make-golang-image: its rootfs tarball is kept
in $PALLET_E2E_CACHE (default /tmp/pallet-e2e-cache), named after the script's hash. Each
test module imports it into a fresh state root (about 3 s), and all tests of this module
share that root; every test works on its own copy of the example.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from pallet.testing import free_port, require_runtime, require_tools, unmount_all_under
from pallet.testing.cli import PalletCLI, image_files, step_statuses

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples/buildme"
GUIDE = EXAMPLE / "guide"
CACHE = Path(os.environ.get("PALLET_E2E_CACHE", "/tmp/pallet-e2e-cache"))


class Pallet(PalletCLI):
    def build(self, context, *args) -> dict[str, str]:
        """Build; return {step: CACHED | DONE} from the plain progress."""
        return step_statuses(super().build(context, *args).stderr)


@pytest.fixture(scope="module")
def pallet(tmp_path_factory) -> Pallet:
    require_runtime()
    require_tools("mmdebstrap")
    root = tmp_path_factory.mktemp("e2e") / "root"
    p = Pallet(root)
    pallet_bin = tmp_path_factory.mktemp("bin") / "pallet"
    pallet_bin.write_text(f"#!/bin/sh\nexec {sys.executable} -m pallet.cli.main \"$@\"\n")
    pallet_bin.chmod(0o755)
    subprocess.run(["bash", REPO / "scripts/make-golang-image", "--tar-cache", CACHE],
                   env={**p.env, "PALLET": str(pallet_bin)}, check=True, timeout=1200)
    assert "golang" in p("images", "golang:1.19-bookworm").stdout
    yield p
    left = unmount_all_under(root)
    assert not left, f"mounts left behind: {left}"


@pytest.fixture
def app(tmp_path) -> Path:
    """A copy of the example app to build and edit."""
    return Path(shutil.copytree(EXAMPLE, tmp_path / "buildme"))


# -- the guide's progression --------------------------------------------------------------

# (Dockerfile, target, files the image must hold, entrypoint); None: the default target.
GUIDE_STEPS = [
    ("1-single-stage.Dockerfile", None, None, ["/bin/server"]),
    ("2-deps-first.Dockerfile", None, None, ["/bin/server"]),
    ("3-multi-stage.Dockerfile", None, ["bin/client", "bin/server"], ["/bin/server"]),
    ("4-parallel-stages.Dockerfile", "client", ["bin/client"], ["/bin/client"]),
    ("4-parallel-stages.Dockerfile", "server", ["bin/server"], ["/bin/server"]),
    ("5-cache-mount.Dockerfile", "server", ["bin/server"], ["/bin/server"]),
    ("6-bind-mounts.Dockerfile", "client", ["bin/client"], ["/bin/client"]),
    ("7-build-args.Dockerfile", "server", ["bin/server"], ["/bin/server"]),
    ("8-binaries.Dockerfile", "binaries", ["client", "server"], None),
]


@pytest.mark.parametrize("dockerfile, target, files, entrypoint", GUIDE_STEPS,
                         ids=[f"{d.split('-')[0]}-{t or 'default'}" for d, t, _, _ in GUIDE_STEPS])
def test_guide_step_builds(pallet, app, tmp_path, dockerfile, target, files, entrypoint):
    tag = f"guide-{dockerfile.split('-')[0]}-{target or 'default'}"
    args = ["-f", app / "guide" / dockerfile, "-t", tag] + ([f"--target={target}"] if target else [])
    result = pallet.build(app, *args)
    assert set(result.values()) <= {"DONE", "CACHED"}, result
    config = json.loads(pallet("inspect", tag).stdout)[0]["Config"]
    assert config.get("Entrypoint") == entrypoint
    if files is not None:  # the scratch images: exactly the binaries, static
        fs = image_files(pallet, tag, tmp_path)
        held = sorted(str(p.relative_to(fs)) for p in fs.rglob("*") if p.is_file())
        assert held == sorted(files)
        for name in files:
            assert (fs / name).read_bytes()[:4] == b"\x7fELF"


def test_server_and_client_talk(pallet, app, tmp_path):
    """The final Dockerfile: --target server with APP_VERSION, --target client; run both."""
    pallet.build(app, "--target=server", "--build-arg", "APP_VERSION=v0.0.1", "-t", "buildme-server")
    pallet.build(app, "--target=client", "-t", "buildme-client")
    server_bin = image_files(pallet, "buildme-server", tmp_path) / "bin/server"
    client_bin = image_files(pallet, "buildme-client", tmp_path) / "bin/client"
    port = free_port()
    server = subprocess.Popen([server_bin], env={"BUILDME_ADDR": f"127.0.0.1:{port}"},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_port(port)
        client = subprocess.run([client_bin], input="hello world\nbuild me\n", text=True,
                                capture_output=True, timeout=30,
                                env={"BUILDME_SERVER": f"http://127.0.0.1:{port}"})
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=10)
    assert client.returncode == 0, client.stderr
    assert "server: OLLEH DLROW" in client.stdout
    assert "server: DLIUB EM" in client.stdout
    assert "Version: v0.0.1" in log
    assert f"Listening on HTTP port {port}" in log


def test_editing_source_reruns_only_the_steps_after_its_copy(pallet, app):
    dockerfile = app / "guide/2-deps-first.Dockerfile"
    pallet.build(app, "-f", dockerfile)
    with open(app / "cmd/server/translate.go", "a") as f:
        f.write("\n// edited by the e2e test\n")
    rerun = pallet.build(app, "-f", dockerfile)
    assert list(rerun.values()) == ["CACHED", "CACHED", "CACHED", "DONE", "DONE", "DONE"], rerun
    assert [n.split("] ")[1].split()[0:2] for n, s in rerun.items() if s == "DONE"] == [
        ["COPY", "."], ["RUN", "go"], ["RUN", "go"]]
    with open(app / "go.mod", "a") as f:
        f.write("\n// edited by the e2e test\n")
    rerun = pallet.build(app, "-f", dockerfile)
    assert list(rerun.values()) == ["CACHED", "DONE", "DONE", "DONE", "DONE", "DONE"], rerun


def test_rebuilding_the_final_dockerfile_is_all_cached(pallet, app):
    pallet.build(app, "--target=binaries")
    assert set(pallet.build(app, "--target=binaries").values()) == {"CACHED"}


def test_a_scratch_image_is_about_its_binary_size(pallet, app, tmp_path):
    pallet.build(app, "--target=server", "-t", "size-server")
    binary = (image_files(pallet, "size-server", tmp_path) / "bin/server").read_bytes()
    row = pallet("images", "size-server").stdout.splitlines()[1]
    shown = _parse_size(row.split()[-1])
    # `pallet images` shows the compressed size, as the guide's `docker images` does
    # (4.25MB for a 7.5 MB client): between the gzipped binary and the binary itself.
    low, high = len(gzip.compress(binary, 6)) * 0.9, len(binary) * 1.05
    assert low <= shown <= high, (row, len(binary))


# -- interop: skopeo and umoci read what pallet save writes ------------------------------

def test_skopeo_and_umoci_read_saved_images(pallet, app, tmp_path):
    require_tools("skopeo", "umoci")
    pallet.build(app, "--target=server", "-t", "interop-server")
    image_id = json.loads(pallet("inspect", "interop-server").stdout)[0]["Id"]
    docker_tar, oci_tar = tmp_path / "docker.tar", tmp_path / "oci.tar"
    pallet("save", "-o", docker_tar, "interop-server")
    pallet("save", "--format", "oci", "-o", oci_tar, "interop-server")
    for ref in (f"docker-archive:{docker_tar}", f"oci-archive:{oci_tar}"):
        info = json.loads(_run("skopeo", "inspect", ref))
        assert info["Os"] == "linux" and len(info["Layers"]) == 1, info
        config = json.loads(_run("skopeo", "inspect", "--config", ref))
        assert config["config"]["Entrypoint"] == ["/bin/server"]
        assert "sha256:" + _sha256(_run_bytes("skopeo", "inspect", "--raw", "--config", ref)) == image_id
    layout = tmp_path / "layout"
    layout.mkdir()
    with tarfile.open(oci_tar) as tar:
        tar.extractall(layout, filter="tar")
    _run("umoci", "unpack", "--image", f"{layout}:latest", tmp_path / "bundle")
    server = tmp_path / "bundle/rootfs/bin/server"
    assert server.is_file() and os.access(server, os.X_OK)
    assert server.read_bytes()[:4] == b"\x7fELF"


# -- helpers ------------------------------------------------------------------------------

def _run(*args) -> str:
    return _run_bytes(*args).decode()


def _run_bytes(*args) -> bytes:
    proc = subprocess.run([str(a) for a in args], capture_output=True, timeout=120)
    assert proc.returncode == 0, f"{args}: {proc.stderr.decode()}"
    return proc.stdout


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _parse_size(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(B|kB|MB|GB)", text)
    assert m, text
    return float(m.group(1)) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[m.group(2)]


def _wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"the server did not listen on {port}")


# -- cache mounts (issue 4) -------------------------------------------------------------------

VERBOSE_BUILD = (GUIDE / "6-bind-mounts.Dockerfile").read_text().replace(
    "go build -o", "go build -v -o")


def test_after_prune_the_plain_log_shows_run_output_in_buildkit_form(pallet, app):
    """`builder prune -af`, then `build --target=client --progress=plain 2> log1.txt`: the
    RUN step's output lines appear as `#N <seconds> <line>` (the speed-up the cache mounts
    give is bench/cache_mount_bench.py's figure)."""
    (app / "Dockerfile").write_text(VERBOSE_BUILD)
    pallet("builder", "prune", "-af")
    log1 = pallet("build", "--target=client", "--progress=plain", app).stderr
    run_lines = re.findall(r"^#(\d+) (\d+\.\d{3}) (.+)$", log1, re.M)
    assert any(line == "github.com/pallet-build/buildme/cmd/client" for _, _, line in run_lines), log1
    step = next(n for n, _, line in run_lines if line.endswith("cmd/client"))
    assert re.search(rf"^#{step} \[build-client 2/2\] RUN --mount=type=cache", log1, re.M), log1


# -- the guide's first section, as written (issue 7) -------------------------------------------

def test_guide_run_exec_stop_flow(pallet, app):
    """`build --tag=buildme`, `run --name=buildme --rm --detach buildme`, `exec -i buildme
    /bin/client` (the client talks to the server inside the container), `stop buildme`."""
    shutil.copy(GUIDE / "1-single-stage.Dockerfile", app / "Dockerfile")
    pallet("build", "--tag=buildme", app)
    cid = pallet("run", "--name=buildme", "--rm", "--detach", "buildme").stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid)
    try:
        for _ in range(100):  # the server needs a moment to listen
            logs = pallet("logs", "buildme")
            if "Listening" in logs.stderr + logs.stdout:
                break
            time.sleep(0.1)
        proc = pallet("exec", "-i", "buildme", "/bin/client", input="hello pallet\n", timeout=60,
                      check=False)
        assert proc.returncode == 0, proc.stderr
        assert "server: OLLEH TELLAP" in proc.stdout
    finally:
        pallet("stop", "-t", "1", "buildme")
    assert "buildme" not in pallet("ps", "-a").stdout  # --rm: gone after stop
