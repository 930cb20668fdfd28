"""pallet.testing.busybox makes the goldens' busybox:local rootfs, and its tar deterministically."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tarfile

import pytest

from pallet.testing import busybox_rootfs, busybox_tar, require_runtime, write_rootfs_tar


@pytest.fixture
def rootfs():
    require_runtime()
    return busybox_rootfs()


def snapshot(root) -> dict:
    """The fields of shared/buildkit-goldens/golden/_base.json "files" (tools/flatten.py)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            entry = {"uid": st.st_uid, "gid": st.st_gid}
            if stat.S_ISLNK(st.st_mode):
                entry |= {"type": "symlink", "linkname": os.readlink(path)}
            elif stat.S_ISDIR(st.st_mode):
                entry |= {"type": "dir", "mode": f"{stat.S_IMODE(st.st_mode):04o}"}
            else:
                data = open(path, "rb").read()
                entry |= {"type": "file", "mode": f"{stat.S_IMODE(st.st_mode):04o}", "size": len(data),
                          "sha256": hashlib.sha256(data).hexdigest()}
            out[os.path.relpath(path, root)] = entry
    return out


def test_rootfs_matches_the_golden_base(rootfs, shared_dir):
    golden = json.loads((shared_dir / "buildkit-goldens/golden/_base.json").read_text())["files"]
    ours = snapshot(rootfs)
    expected = {path: {k: v for k, v in e.items() if k != "text"} for path, e in golden.items()}
    if ours["bin/busybox"]["sha256"] != expected["bin/busybox"]["sha256"]:
        # Another busybox-static build: its applet list may differ; compare the rest.
        ours = {p: e for p, e in ours.items() if e.get("linkname") != "/bin/busybox" and p != "bin/busybox"}
        expected = {p: e for p, e in expected.items() if e.get("linkname") != "/bin/busybox" and p != "bin/busybox"}
    assert ours == expected


def test_tar_is_sorted_with_fixed_owner_and_mtime(rootfs, tmp_path):
    path = busybox_tar()
    with tarfile.open(path) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names[:3] == [".", "./bin", "./bin/arch"]
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {(0, 0, "", "", 1672531200)}
    again = write_rootfs_tar(rootfs, tmp_path / "again.tar")
    assert again.read_bytes() == path.read_bytes()
