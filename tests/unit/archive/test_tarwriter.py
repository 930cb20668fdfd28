import hashlib
import io
import os
import tarfile

import pytest

from pallet.archive.retar import retar
from pallet.archive.tarwriter import write_tree
from pallet.errors import UserError

TREE = {
    "b/z.txt": b"z",
    "b/a.txt": b"a",
    "a.txt": b"top",
    "a/inner": b"inner",
    "c-dash": b"d",
}


def make_tree(root, mtime):
    for rel, data in TREE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    os.link(root / "a.txt", root / "b" / "hard")
    os.symlink("/a.txt", root / "sym")
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.utime(os.path.join(dirpath, name), (mtime, mtime), follow_symlinks=False)
    return root


def tar_bytes(root, **kw):
    out = io.BytesIO()
    write_tree(root, out, **kw)
    return out.getvalue()


def members(data):
    return tarfile.open(fileobj=io.BytesIO(data)).getmembers()


def test_order_is_depth_first_sorted_bytewise(tmp_path):
    names = [m.name for m in members(tar_bytes(make_tree(tmp_path, 1000)))]
    assert names == ["a", "a/inner", "a.txt", "b", "b/a.txt", "b/hard", "b/z.txt", "c-dash", "sym"]


def test_headers_are_numeric_and_clamped(tmp_path):
    ms = members(tar_bytes(make_tree(tmp_path, 2_000_000_000), epoch=1_000))
    assert {(m.uname, m.gname) for m in ms} == {("", "")}
    assert {m.mtime for m in ms} == {1_000}
    by_name = {m.name: m for m in ms}
    assert by_name["b/hard"].islnk() and by_name["b/hard"].linkname == "a.txt"
    assert by_name["sym"].issym() and by_name["sym"].linkname == "/a.txt"
    assert by_name["a"].isdir()


def test_same_tree_different_mtimes_same_digest_after_clamping(tmp_path):
    one = tar_bytes(make_tree(tmp_path / "one", 1_700_000_000), epoch=1_600_000_000)
    two = tar_bytes(make_tree(tmp_path / "two", 1_800_000_000), epoch=1_600_000_000)
    assert hashlib.sha256(one).digest() == hashlib.sha256(two).digest()
    three = tar_bytes(make_tree(tmp_path / "three", 1_800_000_000))
    assert three != one  # without clamping the times show: the test can fail


def test_xattrs_are_kept(tmp_path):
    make_tree(tmp_path, 1000)
    try:
        os.setxattr(tmp_path / "a.txt", "user.pallet", b"v")
    except OSError:
        pytest.skip("filesystem has no user xattrs")
    m = {m.name: m for m in members(tar_bytes(tmp_path))}["a.txt"]
    assert m.pax_headers["SCHILY.xattr.user.pallet"] == "v"


def test_not_a_directory(tmp_path):
    with pytest.raises(UserError):
        write_tree(tmp_path / "missing", io.BytesIO())


def _tar(entries):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.uname, info.mtime = "someone", 5000
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    out.seek(0)
    return out


def test_retar_normalises_names_and_owners():
    out = io.BytesIO()
    stats = retar(_tar([("./", None), ("./etc/", None), ("./etc/passwd", b"root")]), out, epoch=100)
    ms = members(out.getvalue())
    assert [m.name for m in ms] == ["etc", "etc/passwd"]
    assert {m.uname for m in ms} == {""} and {m.mtime for m in ms} == {100}
    assert (stats.entries, stats.newest_mtime) == (2, 5000)


def test_retar_refuses_dotdot():
    with pytest.raises(UserError, match='".." is not allowed'):
        retar(_tar([("../evil", b"x")]), io.BytesIO())


def test_retar_refuses_garbage():
    with pytest.raises(UserError, match="invalid tar archive"):
        retar(io.BytesIO(b"this is not a tar file at all" * 40), io.BytesIO())


def test_archiving_leaves_access_times_alone(tmp_path, as_root):
    """relatime would stamp a file read for the first time since it was written."""
    f = tmp_path / "tree" / "fresh"
    f.parent.mkdir()
    f.write_bytes(b"data")
    os.utime(f, (1_000_000, 2_000_000))  # accessed before its last change
    tar_bytes(tmp_path / "tree")
    assert os.stat(f).st_atime == 1_000_000
