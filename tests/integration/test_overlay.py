"""OverlaySnapshotter with real overlayfs mounts: diffs, whiteouts, stacking, deep stacks."""

from __future__ import annotations

import os
import stat

import pytest

from pallet.executor import ProcessSpec
from pallet.snapshot.mount import is_mountpoint, mounted
from pallet.testing.runtime import snapshotter_and_runc


@pytest.fixture
def env(tmp_path):
    yield from snapshotter_and_runc(tmp_path)


def sh(sn, ex, key, parents, script):
    lines = []
    code = ex.run(ProcessSpec(("/bin/sh", "-c", script)), sn.prepare(key, parents),
                  on_output=lambda s, line: lines.append(line))
    return code, b"".join(lines).decode()


def is_whiteout(path) -> bool:
    """overlayfs's whiteout: a 0:0 character device (Documentation/filesystems/overlayfs.rst)."""
    st = os.lstat(path)
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0 and (st.st_uid, st.st_gid) == (0, 0)


def test_run_diff_has_new_file_and_whiteout(env):
    sn, ex, _ = env
    code, _ = sh(sn, ex, "run1", ["busybox"], "echo A > /a && rm /etc/group")
    assert code == 0
    upper = sn.upper_dir("run1")
    assert (upper / "a").read_text() == "A\n"
    assert is_whiteout(upper / "etc/group")
    assert not (upper / "etc/passwd").exists()  # untouched lower files are not copied up


def test_recreated_dir_is_opaque(env):
    sn, ex, _ = env
    code, _ = sh(sn, ex, "run1", ["busybox"], "rm -rf /usr/sbin && mkdir /usr/sbin && touch /usr/sbin/x")
    assert code == 0
    upper = sn.upper_dir("run1")
    assert os.getxattr(upper / "usr/sbin", "trusted.overlay.opaque") == b"y"
    assert os.listdir(upper / "usr/sbin") == ["x"]


def test_renamed_lower_dir_is_copied_not_redirected(env):
    sn, ex, _ = env
    code, _ = sh(sn, ex, "run1", ["busybox"], "mv /usr/sbin /usr/moved && ls /usr/moved/chroot")
    assert code == 0
    upper = sn.upper_dir("run1")
    assert is_whiteout(upper / "usr/sbin")
    assert os.path.islink(upper / "usr/moved/chroot")
    assert "trusted.overlay.redirect" not in os.listxattr(upper / "usr/moved")


def test_second_snapshot_sees_the_first(env):
    sn, ex, _ = env
    assert sh(sn, ex, "run1", ["busybox"], "echo one > /a && rm /etc/group")[0] == 0
    sn.commit("step1", "run1")
    code, out = sh(sn, ex, "run2", ["step1"], "cat /a; test -e /etc/group || echo gone; echo two > /b")
    assert (code, out) == (0, "one\ngone\n")
    # dev, proc and sys now come from step1; etc is copied up by runc's /etc/hosts stub
    assert sorted(os.listdir(sn.upper_dir("run2"))) == ["b", "etc"]
    assert (sn.upper_dir("run2") / "b").read_text() == "two\n"
    assert not (sn.upper_dir("run2") / "a").exists()


def test_view_is_read_only(env):
    sn, _, tmp_path = env
    target = tmp_path / "mnt"
    target.mkdir()
    with mounted(sn.view("v", ["busybox"]), target):
        assert (target / "etc/passwd").exists()
        with pytest.raises(OSError):
            (target / "new").write_text("x")
    assert not is_mountpoint(target)


def test_mounts_are_undone_when_the_body_fails(env):
    sn, _, tmp_path = env
    target = tmp_path / "mnt"
    target.mkdir()
    with pytest.raises(RuntimeError):
        with mounted(sn.prepare("k", ["busybox"]), target):
            assert is_mountpoint(target)
            raise RuntimeError("boom")
    assert not is_mountpoint(target)


def test_150_layer_stack_mounts(env):
    sn, ex, tmp_path = env
    parent = "busybox"
    for i in range(150):
        sn.prepare(f"k{i}", [parent])
        (sn.upper_dir(f"k{i}") / f"f{i}").write_text(f"{i}\n")
        sn.commit(f"l{i}", f"k{i}")
        parent = f"l{i}"
    (m,) = sn.prepare("top", [parent])
    assert len(",".join(m.options)) > os.sysconf("SC_PAGE_SIZE")  # needs the compaction
    target = tmp_path / "mnt"
    target.mkdir()
    with mounted([m], target):
        assert sum(1 for n in os.listdir(target) if n.startswith("f")) == 150
        (target / "written").write_text("x")
    assert (sn.upper_dir("top") / "written").exists()
    code, out = sh(sn, ex, "run", [parent], "cat /f0 /f149")
    assert (code, out) == (0, "0\n149\n")
