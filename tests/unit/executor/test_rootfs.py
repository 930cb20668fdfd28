"""Paths resolved inside a root filesystem, WORKDIR creation and mount stubs."""

from __future__ import annotations

import os

import pytest

from pallet.archive.rootpath import SymlinkLoopError

from pallet.executor.rootfs import ensure_workdir, find_stubs, remove_stubs, resolve_in_root

RESOLVE_CASES = [
    ("/a/b", "a/b"),
    ("a/./b/", "a/b"),
    ("/../../etc/passwd", "etc/passwd"),
    ("/abs/x", "a/b/x"),          # abs -> /a/b
    ("/rel/x", "a/b/x"),          # rel -> a/b (relative to /)
    ("/a/up/x", "x"),             # a/up -> ../.. : clamped at the root
    ("/loop1", None),
]


@pytest.fixture
def root(tmp_path):
    (tmp_path / "a/b").mkdir(parents=True)
    os.symlink("/a/b", tmp_path / "abs")
    os.symlink("a/b", tmp_path / "rel")
    os.symlink("../..", tmp_path / "a/up")
    os.symlink("/loop2", tmp_path / "loop1")
    os.symlink("/loop1", tmp_path / "loop2")
    return tmp_path


@pytest.mark.parametrize("path, expected", RESOLVE_CASES, ids=[c[0] for c in RESOLVE_CASES])
def test_resolve_in_root(root, path, expected):
    if expected is None:
        with pytest.raises(SymlinkLoopError, match="too many levels"):
            resolve_in_root(root, path)
    else:
        assert resolve_in_root(root, path) == root / expected


def test_ensure_workdir_makes_missing_dirs_with_the_users_owner(root):
    before = os.stat(root / "a")
    ensure_workdir(root, "/abs/c/d", 1234, 5678)
    for d in (root / "a/b/c", root / "a/b/c/d"):
        st = os.stat(d)
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o755, 1234, 5678)
    assert os.stat(root / "a").st_uid == before.st_uid


def test_stubs_that_stay_empty_are_removed_and_parent_mtime_kept(root):
    (root / "etc").mkdir()
    (root / "etc/keep").write_text("x")
    stubs = find_stubs(root, ["/etc/hosts", "/etc/keep", "/mnt/cache", "/"])
    assert stubs == [root / "etc/hosts", root / "mnt/cache"]
    (root / "etc/hosts").touch()          # what runc does for a file bind mount
    (root / "mnt/cache").mkdir(parents=True)
    # BuildKit (executor/stubs.go) keeps the parent's times across the removal
    os.utime(root / "etc", ns=(1, 1_000_000_000))
    remove_stubs(stubs)
    assert not (root / "etc/hosts").exists() and not (root / "mnt/cache").exists()
    assert (root / "mnt").is_dir()
    assert os.stat(root / "etc").st_mtime_ns == 1_000_000_000


def test_stubs_the_step_wrote_to_are_kept(root):
    stubs = find_stubs(root, ["/etc/resolv.conf"])
    (root / "etc").mkdir()
    (root / "etc/resolv.conf").write_text("nameserver 1.1.1.1\n")
    remove_stubs(stubs)
    assert (root / "etc/resolv.conf").read_text() == "nameserver 1.1.1.1\n"
