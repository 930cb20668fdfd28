import io
import os
import stat
import tarfile

import pytest

from pallet.archive.tarreader import extract_layer, resolve_in_root
from pallet.archive.tarwriter import write_tree
from pallet.errors import UserError


def layer(*entries):
    """entries: (name, kind, payload) with kind file|dir|sym|link."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            info.mode = 0o755 if kind == "dir" else 0o644
            if kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, payload
            elif kind == "link":
                info.type, info.linkname = tarfile.LNKTYPE, payload
            else:
                info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload) if kind == "file" else None)
    out.seek(0)
    return out


def test_extracts_files_dirs_links(tmp_path):
    extract_layer(layer(("d", "dir", None), ("d/f", "file", b"hi"), ("d/l", "link", "d/f"), ("s", "sym", "d/f")), tmp_path)
    assert (tmp_path / "d" / "f").read_bytes() == b"hi"
    assert os.stat(tmp_path / "d" / "l").st_ino == os.stat(tmp_path / "d" / "f").st_ino
    assert os.readlink(tmp_path / "s") == "d/f"


# Each evil layer must leave `outside` untouched: rejected or contained in the root.
EVIL = [
    ("dotdot", [("../outside/pwned", "file", b"x")]),
    ("absolute", [("/outside/pwned", "file", b"x")]),
    ("symlink-parent", [("esc", "sym", "../outside"), ("esc/pwned", "file", b"x")]),
    ("absolute-symlink-parent", [("esc", "sym", "/../outside"), ("esc/pwned", "file", b"x")]),
    ("hardlink-out", [("h", "link", "../outside/victim")]),
]


@pytest.mark.parametrize("entries", [e for _, e in EVIL], ids=[n for n, _ in EVIL])
def test_evil_layers_cannot_escape(tmp_path, entries):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "victim").write_bytes(b"safe")
    try:
        extract_layer(layer(*entries), root)
    except UserError:
        pass
    assert sorted(os.listdir(outside)) == ["victim"]
    assert (outside / "victim").read_bytes() == b"safe"


def test_resolve_in_root_contains_symlinks(tmp_path):
    os.symlink("/etc", tmp_path / "abs")
    os.symlink("../../..", tmp_path / "up")
    assert resolve_in_root(str(tmp_path), "abs/passwd") == str(tmp_path / "etc" / "passwd")
    assert resolve_in_root(str(tmp_path), "up/x") == str(tmp_path / "x")


def test_whiteouts_applied_to_lower_layers(tmp_path):
    extract_layer(layer(("gone", "file", b"x"), ("d", "dir", None), ("d/old", "file", b"o"), ("keep", "file", b"k")), tmp_path)
    extract_layer(layer(("d", "dir", None), ("d/.wh..wh..opq", "file", b""), ("d/new", "file", b"n"), (".wh.gone", "file", b"")), tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["d", "keep"]
    assert os.listdir(tmp_path / "d") == ["new"]


def test_overlay_whiteout_round_trip(tmp_path, overlay_upper):
    upper = overlay_upper
    out = io.BytesIO()
    write_tree(upper, out, overlay=True, epoch=0)
    names = [m.name for m in tarfile.open(fileobj=io.BytesIO(out.getvalue()))]
    assert names == [".wh.deleted", "null", "opaque", "opaque/.wh..wh..opq", "opaque/fresh"]
    again = tmp_path / "again"
    again.mkdir()
    out.seek(0)
    extract_layer(out, again, overlay=True)
    st = os.lstat(again / "deleted")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    assert os.getxattr(again / "opaque", "trusted.overlay.opaque") == b"y"
    assert os.lstat(again / "null").st_rdev == os.makedev(1, 3)
    out2 = io.BytesIO()
    write_tree(again, out2, overlay=True, epoch=0)
    assert out2.getvalue() == out.getvalue()


def test_owners_and_modes_kept(tmp_path, as_root):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("suid")
        info.mode, info.uid, info.gid, info.size = 0o4750, 501, 20, 1
        tar.addfile(info, io.BytesIO(b"x"))
    out.seek(0)
    extract_layer(out, tmp_path)
    st = os.lstat(tmp_path / "suid")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (501, 20, 0o4750)


def test_garbage_is_a_user_error(tmp_path):
    with pytest.raises(UserError):
        extract_layer(io.BytesIO(b"\x00garbage" * 100), tmp_path)
