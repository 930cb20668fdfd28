"""The `pallet` CLI as a subprocess against one state root, and readers of its output.

    p = PalletCLI(tmp_path / "root"); p.import_busybox()
    proc = p.build(context, "--target", "app")
    assert set(step_statuses(proc.stderr).values()) == {"CACHED"}
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PALLET = [sys.executable, "-m", "pallet.cli.main"]
BUSYBOX = "busybox:local"
PATH_ENV = "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# `pallet import` of the goldens' busybox rootfs tar, as the busybox:local base image
IMPORT_BUSYBOX = ("import", "--change", PATH_ENV, "--change", 'CMD ["sh"]')


class PalletCLI:
    """Runs `pallet ARGS...` with PALLET_ROOT=root; fails the test on a non-zero exit."""

    def __init__(self, root: Path, **env: str) -> None:
        self.root = root
        self.env = {**os.environ, "PALLET_ROOT": str(root), **env}
        for var in ("SOURCE_DATE_EPOCH", "BUILDX_BUILDER"):  # the host's must not leak in
            if var not in env:
                self.env.pop(var, None)

    def __call__(self, *args, cwd=None, check=True, timeout=600, input=None
                 ) -> subprocess.CompletedProcess:
        proc = subprocess.run([*PALLET, *map(str, args)], cwd=cwd, env=self.env, text=True,
                              capture_output=True, timeout=timeout, input=input)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"pallet {' '.join(map(str, args))} -> {proc.returncode}\n{proc.stderr}")
        return proc

    def build(self, context, *args, check=True) -> subprocess.CompletedProcess:
        return self("build", "--progress=plain", *args, context, check=check)

    def import_busybox(self, name: str = BUSYBOX) -> None:
        """The goldens' busybox base image, from Debian's busybox-static."""
        from pallet.testing.busybox import busybox_tar

        self(*IMPORT_BUSYBOX, busybox_tar(), name)


def busybox_cli(tmp_path: Path):
    """A fixture body: a PalletCLI on a fresh root with busybox:local imported; after the
    test, nothing may be left mounted under tmp_path."""
    from pallet.testing.runtime import require_runtime, unmount_all_under

    require_runtime()
    cli = PalletCLI(tmp_path / "root")
    cli.import_busybox()
    yield cli
    left = unmount_all_under(tmp_path)
    assert not left, f"mounts left behind: {left}"


def busybox_root(tmp_path: Path, monkeypatch) -> Path:
    """A fixture body for in-process tests: PALLET_ROOT set to a fresh root under tmp_path,
    busybox:local imported into it."""
    from pallet.cli.main import main
    from pallet.testing.busybox import busybox_tar
    from pallet.testing.runtime import require_runtime

    require_runtime()
    monkeypatch.setenv("PALLET_ROOT", str(tmp_path / "root"))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert main([*IMPORT_BUSYBOX, str(busybox_tar()), BUSYBOX]) == 0
    return tmp_path / "root"


def image_files(pallet: PalletCLI, image: str, tmp_path: Path) -> Path:
    """The image's filesystem (layers applied in order), from a `pallet save` archive: what
    its layer blobs hold."""
    import json
    import tarfile

    archive = tmp_path / f"{image.replace(':', '_')}.tar"
    pallet("save", "-o", archive, image)
    out = tmp_path / f"{image.replace(':', '_')}-fs"
    out.mkdir()
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        for layer in manifest[0]["Layers"]:
            with tarfile.open(fileobj=tar.extractfile(layer)) as layer_tar:
                layer_tar.extractall(out, filter="tar")
    return out


def make_context(path: Path, files: dict[str, str]) -> Path:
    """A build context holding `files` (relative name -> text)."""
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    path.mkdir(parents=True, exist_ok=True)
    return path


_VERTEX = re.compile(r"#(\d+) (.*)$")
_STEP = re.compile(r"\[[^\]]*\d+/\d+\] (.*)$")


def step_statuses(stderr: str) -> dict[str, str]:
    """`--progress=plain` output -> {"[stage n/m] INSTRUCTION ...": "CACHED" | "DONE" |
    "ERROR"} for the Dockerfile's steps; FROM and [internal] vertices are left out."""
    names: dict[str, str] = {}
    status: dict[str, str] = {}
    for line in stderr.splitlines():
        m = _VERTEX.match(line)
        if not m:
            continue
        num, rest = m.groups()
        if num not in names:
            names[num] = rest
        elif rest == "CACHED" or rest.startswith(("DONE", "ERROR")):
            status[num] = rest.split()[0].rstrip(":")
    out = {}
    for num, name in names.items():
        step = _STEP.match(name)
        if step and not step.group(1).startswith("FROM "):
            out[name] = status.get(num, "?")
    return out
