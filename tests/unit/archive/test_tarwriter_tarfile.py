"""write_tree must write what tarfile itself writes for the same walk, byte for byte, and
hand it on in whole 1 MiB pieces: they are the blocks the gzip writer compresses, so a
moved boundary would change a layer's blob digest even when the tar is the same."""

import io
import os
import socket
import stat
import tarfile

import pytest

from pallet.archive.tarwriter import write_tree
from pallet.errors import UserError

ROOT = os.geteuid() == 0


class Pieces(io.RawIOBase):
    """Records every write."""

    def __init__(self):
        self.pieces = []

    def writable(self):
        return True

    def write(self, data):
        self.pieces.append(bytes(data))
        return len(data)

    def tell(self):
        return sum(map(len, self.pieces))


def reference(root, epoch=None, overlay=False):
    """The walk written with plain tarfile, as pallet did before its fast path."""
    out = Pieces()
    tar = tarfile.open(fileobj=io.BufferedWriter(out, 1 << 20), mode="w", format=tarfile.PAX_FORMAT,
                       encoding="utf-8", errors="surrogateescape")
    links = {}

    def clamp(t):
        t = max(0, int(t))
        return t if epoch is None else min(t, epoch)

    def marker(name, st):
        info = tarfile.TarInfo(name)
        info.mode, info.uname, info.gname, info.mtime = 0, "", "", clamp(st.st_mtime)
        tar.addfile(info)

    def walk(dirpath, prefix):
        entries = []
        for name in os.listdir(dirpath):
            st = os.lstat(os.path.join(dirpath, name))
            whiteout = overlay and stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
            entries.append((".wh." + name if whiteout else name, os.path.join(dirpath, name), st, whiteout))
        for arcname, path, st, whiteout in sorted(entries, key=lambda e: os.fsencode(e[0])):
            name = prefix + arcname
            if whiteout:
                marker(name, st)
                continue
            if stat.S_ISSOCK(st.st_mode):
                continue
            info = tarfile.TarInfo(name)
            info.mode, info.uid, info.gid = st.st_mode & 0o7777, st.st_uid, st.st_gid
            info.uname, info.gname, info.mtime = "", "", clamp(st.st_mtime)
            try:
                names = sorted(os.listxattr(path, follow_symlinks=False))
            except OSError:
                names = []
            info.pax_headers = {
                f"SCHILY.xattr.{x}": os.getxattr(path, x, follow_symlinks=False).decode(
                    "utf-8", "surrogateescape")
                for x in names if not x.startswith("trusted.overlay.") and x != "security.selinux"}
            if stat.S_ISDIR(st.st_mode):
                info.type = tarfile.DIRTYPE
            elif stat.S_ISLNK(st.st_mode):
                info.type, info.linkname = tarfile.SYMTYPE, os.readlink(path)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                info.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE
                info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
            elif stat.S_ISFIFO(st.st_mode):
                info.type = tarfile.FIFOTYPE
            elif st.st_nlink > 1 and (st.st_dev, st.st_ino) in links:
                info.type, info.linkname = tarfile.LNKTYPE, links[(st.st_dev, st.st_ino)]
            else:
                if st.st_nlink > 1:
                    links[(st.st_dev, st.st_ino)] = name
                info.size = st.st_size
            if info.type == tarfile.REGTYPE:
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
            if info.type == tarfile.DIRTYPE:
                try:
                    opaque = overlay and os.getxattr(path, "trusted.overlay.opaque",
                                                     follow_symlinks=False) == b"y"
                except OSError:
                    opaque = False
                if opaque:
                    marker(f"{name}/.wh..wh..opq", st)
                walk(path, name + "/")

    walk(os.fspath(root), "")
    tar.close()
    tar.fileobj.flush()
    return out.pieces


def tricky_tree(root):
    def put(rel, data=b""):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    put("empty")
    for n in (1, 511, 512, 513, 16 * 1024 - 1, 16 * 1024 + 1, (1 << 20) - 700, 1 << 20, 3 * (1 << 20) + 5):
        put(f"sizes/{n}", os.urandom(n))
    put("d" * 99 + "/f", b"a directory name of 100 bytes with its slash")
    put("D" * 100 + "/f", b"101 with the slash")
    put("n" * 100, b"100-byte name")
    put("N" * 101, b"101-byte name")
    put("deep/" + "/".join(["p" * 40] * 4) + "/file", b"long path")
    put("caf\u00e9", b"non-ascii")
    put("order/B"), put("order/a"), put("order/a.b"), put("order/\u00e9"), put("order/~")
    (root / "raw").mkdir()
    (root.joinpath(os.fsdecode(b"raw/bad\xff\xfe"))).write_bytes(b"not utf-8")
    os.link(put("links/a", b"linked"), root / "links/b")
    os.link(root / ("N" * 101), root / "links" / ("L" * 120))
    os.link(root / "caf\u00e9", root / "links/z")
    os.symlink("/etc/passwd", root / "sym")
    os.symlink("t" * 150, root / "sym-long")
    os.symlink("caf\u00e9", root / "sym-utf8")
    os.mkfifo(root / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(os.fspath(root / "sock"))
    sock.close()
    put("setuid", b"s").chmod(0o4755)
    put("locked", b"p").chmod(0o000)
    put("xattr", b"x")
    try:
        os.setxattr(root / "xattr", "user.foo", b"bar")
        os.setxattr(root / "xattr", "user.bin", b"\xff\x00z")
    except OSError:
        pass  # no user xattrs on this filesystem: the rest still runs
    for rel, t in {"empty": -5, "sizes/1": 1_700_000_000.75, "sizes/511": 2_000_000_000, "sym": 1234.5}.items():
        os.utime(root / rel, (t, t), follow_symlinks=False)
    if ROOT:
        os.chown(put("big-uid", b"u"), 8**7, 5)
        os.chown(put("max-uid", b"m"), 8**7 - 1, 8**7 - 1)
        os.mknod(root / "chr", 0o620 | stat.S_IFCHR, os.makedev(4, 64))
        os.mknod(root / "blk", 0o660 | stat.S_IFBLK, os.makedev(4095, 1048575))
        os.mknod(root / "gone", stat.S_IFCHR, 0)  # an overlay whiteout
        put(".wh.gone", b"a file named like the whiteout's entry")
        (root / "opq/sub").mkdir(parents=True)
        os.setxattr(root / "opq", "trusted.overlay.opaque", b"y")
        os.setxattr(root / "opq", "trusted.overlay.origin", b"dropped")
        put("far-future", b"f")
        os.utime(root / "far-future", (8**11 + 3, 8**11 + 3))
    return root


@pytest.mark.parametrize("epoch", [None, 1_000_000_000])
@pytest.mark.parametrize("overlay", [False, True])
def test_same_bytes_as_tarfile_in_whole_chunks(tmp_path, epoch, overlay):
    root = tricky_tree(tmp_path / "tree")
    out = Pieces()
    write_tree(root, out, epoch=epoch, overlay=overlay)
    expected = b"".join(reference(root, epoch, overlay))
    assert b"".join(out.pieces) == expected
    # the gzip writer compresses each piece as a block: a piece per MiB, whatever the files
    assert [len(p) for p in out.pieces] == [1 << 20] * (len(expected) >> 20) + [len(expected) % (1 << 20)]


@pytest.mark.parametrize("change", [+1, -1], ids=["shrank", "grew"])
def test_a_file_that_changes_size_is_an_error(tmp_path, monkeypatch, change):
    (tmp_path / "log").write_bytes(b"x" * 1000)
    real_fstat = os.fstat

    def fstat(fd):  # the size the header was written with differs from what is read
        st = real_fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return st
        fields = list(st)
        fields[stat.ST_SIZE] += change
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", fstat)
    with pytest.raises(UserError, match=r'"[^"]*/log": file changed as we read it'):
        write_tree(tmp_path, io.BytesIO())
