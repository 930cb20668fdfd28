"""OverlaySnapshotter's bookkeeping and mount plans (data only: nothing is mounted)."""

from __future__ import annotations

import pytest

from pallet.errors import AlreadyExistsError, NotFoundError, StoreError
from pallet.snapshot import Mount, OverlaySnapshotter
from pallet.snapshot.mount import PAGE_SIZE, compact_lowerdirs, split_options


@pytest.fixture
def sn(tmp_path):
    return OverlaySnapshotter(tmp_path)


def commit_chain(sn, names):
    parent = []
    for name in names:
        sn.prepare(f"k-{name}", parent)
        sn.commit(name, f"k-{name}")
        parent = [name]


def test_no_parent_is_a_bind_of_the_upper_dir(sn, tmp_path):
    assert sn.prepare("k", []) == [Mount("bind", str(tmp_path / "snapshots/1/fs"), ("rw", "rbind"))]
    assert sn.upper_dir("k") == tmp_path / "snapshots/1/fs"
    assert sn.upper_dir("k").is_dir()


def test_parents_become_lowerdirs_top_first(sn, tmp_path):
    commit_chain(sn, ["l1", "l2", "l3"])
    s = tmp_path / "snapshots"
    assert sn.prepare("run", ["l3"]) == [Mount("overlay", "overlay", (
        "index=off", "redirect_dir=off", "metacopy=off",
        f"lowerdir={s}/3/fs:{s}/2/fs:{s}/1/fs", f"upperdir={s}/4/fs", f"workdir={s}/4/work",
    ))]
    assert sn.mounts("run") == sn.prepare("run2", ["l3"])[:0] + sn.mounts("run")


def test_merge_of_chains_keeps_each_layer_once(sn, tmp_path):
    commit_chain(sn, ["a1", "a2"])
    sn.prepare("kb", ["a1"])
    sn.commit("b", "kb")
    (m,) = sn.prepare("merge", ["a2", "b"])
    s = tmp_path / "snapshots"
    # the chains are 1,2 and 1,3; a layer that appears twice keeps its topmost place
    assert f"lowerdir={s}/3/fs:{s}/1/fs:{s}/2/fs" in m.options


def test_views_are_read_only(sn, tmp_path):
    assert sn.view("v0", []) == [Mount("bind", str(tmp_path / "snapshots/1/fs"), ("ro", "rbind"))]
    commit_chain(sn, ["l1", "l2"])
    assert sn.view("v1", ["l1"]) == [Mount("bind", str(tmp_path / "snapshots/2/fs"), ("ro", "rbind"))]
    (m,) = sn.view("v2", ["l2"])
    assert m.type == "overlay" and not any(o.startswith(("upperdir", "workdir")) for o in m.options)
    with pytest.raises(StoreError, match="read-only view"):
        sn.commit("nope", "v2")


def test_lifecycle_errors(sn):
    sn.prepare("k", [])
    with pytest.raises(AlreadyExistsError):
        sn.prepare("k", [])
    with pytest.raises(NotFoundError, match="'missing' does not exist"):
        sn.prepare("k2", ["missing"])
    with pytest.raises(StoreError, match="not a committed snapshot"):
        sn.prepare("k3", ["k"])
    sn.commit("c", "k")
    assert not sn.exists("k") and sn.exists("c")
    with pytest.raises(StoreError, match="committed, not active"):
        sn.upper_dir("c")
    sn.prepare("child", ["c"])
    with pytest.raises(StoreError, match="has children"):
        sn.remove("c")
    sn.remove("child")
    sn.remove("c")
    assert not sn.exists("c")


def test_remove_deletes_the_directory(sn):
    sn.prepare("k", [])
    upper = sn.upper_dir("k")
    (upper / "f").write_text("x")
    sn.remove("k")
    assert not upper.parent.exists()


def test_metadata_survives_a_new_instance(sn, tmp_path):
    commit_chain(sn, ["l1"])
    again = OverlaySnapshotter(tmp_path)
    assert again.exists("l1")
    again.prepare("k", ["l1"])
    assert again.upper_dir("k") == tmp_path / "snapshots/2/fs"


SPLIT_CASES = [
    (("rw", "rbind"), 0x1000 | 0x4000, ""),
    (("ro", "rbind"), 0x1 | 0x1000 | 0x4000, ""),
    (("nosuid", "nodev", "mode=755", "size=65536k"), 0x2 | 0x4, "mode=755,size=65536k"),
    (("ro", "rw", "index=off", "lowerdir=/a:/b"), 0, "index=off,lowerdir=/a:/b"),
]


@pytest.mark.parametrize("options, flags, data", SPLIT_CASES)
def test_split_options(options, flags, data):
    assert split_options(options) == (flags, data)


def test_compact_lowerdirs_fits_150_layers_in_a_page():
    root = "/var/lib/pallet/a-rather-long-state-root-name/snapshots"
    lower = ":".join(f"{root}/{i}/fs" for i in range(150, 0, -1))
    options = ("index=off", f"lowerdir={lower}", f"upperdir={root}/151/fs", f"workdir={root}/151/work")
    assert len(split_options(options)[1]) > PAGE_SIZE
    cwd, compact = compact_lowerdirs(options)
    assert cwd == root
    assert compact[1].startswith("lowerdir=150/fs:149/fs:") and compact[1].endswith(":1/fs")
    assert compact[2:] == options[2:]
    assert len(split_options(compact)[1]) < PAGE_SIZE
