"""The guide's cross-compilation step on the example app: `--platform=linux/amd64,linux/arm64,
linux/arm/v7 --target=binaries --output=bin` with `FROM --platform=$BUILDPLATFORM golang`
and `GOOS=$TARGETOS GOARCH=$TARGETARCH go build` — every RUN native, no emulator needed,
and `file` (not pallet) says each binary is for its platform.

The Go base image is scripts/make-golang-image's, from the rootfs tarball test_guide.py
caches in $PALLET_E2E_CACHE (mmdebstrap runs once per version of the script).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pallet.testing import require_runtime, require_tools, unmount_all_under
from pallet.testing.cli import PALLET

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples/buildme"
CACHE = Path(os.environ.get("PALLET_E2E_CACHE", "/tmp/pallet-e2e-cache"))
PLATFORMS = "linux/amd64,linux/arm64,linux/arm/v7"
FILE_SAYS = {"linux_amd64": "x86-64", "linux_arm64": "ARM aarch64", "linux_arm_v7": "ARM, EABI5"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    require_runtime()
    require_tools("mmdebstrap", "file")
    root = tmp_path_factory.mktemp("cross") / "root"
    env = {**os.environ, "PALLET_ROOT": str(root)}
    # An empty binfmt_misc: the build must not need an emulator for any of its RUN steps.
    no_binfmt = tmp_path_factory.mktemp("no-binfmt")
    (no_binfmt / "register").write_text("")
    env["PALLET_BINFMT_MISC"] = str(no_binfmt)
    wrapper = tmp_path_factory.mktemp("bin") / "pallet"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -m pallet.cli.main \"$@\"\n")
    wrapper.chmod(0o755)
    subprocess.run(["bash", REPO / "scripts/make-golang-image", "--tar-cache", CACHE],
                   env={**env, "PALLET": str(wrapper)}, check=True, timeout=1200)
    yield env
    left = unmount_all_under(root)
    assert not left, f"mounts left behind: {left}"


def test_cross_compiled_binaries_per_platform(env, tmp_path):
    app = Path(shutil.copytree(EXAMPLE, tmp_path / "buildme"))
    proc = subprocess.run([*PALLET, "build", "--progress=plain", f"--platform={PLATFORMS}",
                           "--target=binaries", "--output=bin", str(app)], cwd=tmp_path,
                          env=env, text=True, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    # the module download runs once for all platforms: its stage is pinned to the host
    assert proc.stderr.count("base 3/3] RUN") == 1, proc.stderr
    bin_dir = tmp_path / "bin"
    assert sorted(os.listdir(bin_dir)) == sorted(FILE_SAYS)
    for platform_dir, says in FILE_SAYS.items():
        assert sorted(os.listdir(bin_dir / platform_dir)) == ["client", "server"]
        for name in ("client", "server"):
            described = subprocess.run(["file", "-b", str(bin_dir / platform_dir / name)],
                                       check=True, capture_output=True, text=True).stdout
            assert says in described, f"{platform_dir}/{name}: {described}"
