"""Deterministic layer tars: the same tree gives the same bytes, on any machine.

What varies between two copies of one tree is left out or fixed, as BuildKit/containerd's
archive/tar.go do when they write a diff:
- entries in depth-first order, names sorted byte-wise in each directory (filepath.Walk);
- numeric owners only (uname/gname empty), so /etc/passwd of the host never leaks in;
- mtimes in whole seconds (containerd truncates them), and clamped to `epoch` when given
  (SOURCE_DATE_EPOCH; BuildKit's rewrite-timestamp clamps, it never raises a time);
- no atime/ctime; PAX format, with extended records only where USTAR cannot say it
  (long names, big ids) and for xattrs (`SCHILY.xattr.*`);
- hard links inside the tree stay links to the first name in that order.
With `overlay=True` the tree is an overlayfs upper dir, whose whiteouts become OCI `.wh.`
entries (see whiteout.py); overlayfs' own `trusted.overlay.*` xattrs are dropped.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import tarfile
from pathlib import Path
from typing import BinaryIO

from pallet.archive.whiteout import (
    OPAQUE_MARKER,
    OVERLAY_XATTR_PREFIX,
    is_opaque_dir,
    is_overlay_whiteout,
    whiteout_name,
)
from pallet.errors import UserError

# security.selinux labels belong to the host that wrote the files, not to the image.
SKIPPED_XATTRS = ("security.selinux",)


def clamp(mtime: float, epoch: int | None) -> int:
    t = max(0, int(mtime))
    return t if epoch is None else min(t, epoch)


class _Sink(io.RawIOBase):
    """`out` as a raw stream that knows its position, so tarfile's plain "w" mode can use it."""

    def __init__(self, out: BinaryIO) -> None:
        self._out, self._pos = out, 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._out.write(data)
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos


class _Tar(tarfile.TarFile):
    def addfile(self, tarinfo: tarfile.TarInfo, fileobj=None) -> None:
        header = ustar_header(tarinfo)
        if header is None:  # PAX records needed: tarfile writes them
            super().addfile(tarinfo, fileobj)
            return
        self.fileobj.write(header)
        self.offset += len(header)
        if fileobj is not None:
            tarfile.copyfileobj(fileobj, self.fileobj, tarinfo.size, bufsize=self.copybufsize)
            blocks, rest = divmod(tarinfo.size, tarfile.BLOCKSIZE)
            if rest:
                self.fileobj.write(tarfile.NUL * (tarfile.BLOCKSIZE - rest))
                blocks += 1
            self.offset += blocks * tarfile.BLOCKSIZE

    def close(self) -> None:
        super().close()
        self.fileobj.flush()


_USTAR = struct.Struct("100s8s8s8s12s12s8sc100s8s32s32s8s8s155s12x")
_MAX7, _MAX11 = 8**7, 8**11  # what 8- and 12-byte octal fields hold


def ustar_header(info: tarfile.TarInfo) -> bytes | None:
    """The header tarfile writes in PAX format when no extended record is needed, made
    without its per-entry copies (measured: half of tar time on 40,000 small files), or
    None when a record is needed (long or non-ASCII names, big numbers, xattrs). The
    bytes are tarfile's own (tests compare them)."""
    name = info.name + "/" if info.type == tarfile.DIRTYPE and not info.name.endswith("/") else info.name
    if info.pax_headers or not name.isascii() or not info.linkname.isascii():
        return None
    if len(name) > 100 or len(info.linkname) > 100:
        return None
    if not (0 <= info.uid < _MAX7 and 0 <= info.gid < _MAX7 and 0 <= info.size < _MAX11
            and 0 <= info.mtime < _MAX11 and type(info.mtime) is int
            and 0 <= info.devmajor < _MAX7 and 0 <= info.devminor < _MAX7):
        return None
    device = info.type in (tarfile.CHRTYPE, tarfile.BLKTYPE)  # others leave the fields NUL
    block = bytearray(_USTAR.pack(
        name.encode(), b"%07o\0" % (info.mode & 0o7777), b"%07o\0" % info.uid,
        b"%07o\0" % info.gid, b"%011o\0" % info.size, b"%011o\0" % info.mtime, b" " * 8,
        info.type, info.linkname.encode(), tarfile.POSIX_MAGIC, b"", b"",
        b"%07o\0" % info.devmajor if device else b"",
        b"%07o\0" % info.devminor if device else b"", b""))
    block[148:155] = b"%06o\0" % sum(block)
    return bytes(block)


def open_tar_writer(out: BinaryIO) -> tarfile.TarFile:
    """A PAX tar writer on `out`. Writes reach `out` in 1 MiB pieces: the stream mode's 10 KiB
    records (and its growing-buffer copies) cost a compressor and two hash calls each;
    measured 2x slower on a 300 MB tree. The bytes are the same."""
    buffered = io.BufferedWriter(_Sink(out), buffer_size=1 << 20)
    return _Tar.open(fileobj=buffered, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8",
                     errors="surrogateescape")


def xattr_records(path: str) -> dict[str, str]:
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    records = {}
    for name in sorted(names):
        if name.startswith(OVERLAY_XATTR_PREFIX) or name in SKIPPED_XATTRS:
            continue
        try:
            value = os.getxattr(path, name, follow_symlinks=False)
        except OSError:
            continue
        records[f"SCHILY.xattr.{name}"] = value.decode("utf-8", "surrogateescape")
    return records


class TreeWriter:
    """Writes one directory tree as a tar; `write()` once."""

    def __init__(self, root: Path | str, out: BinaryIO, *, epoch: int | None = None, overlay: bool = False) -> None:
        self.root = os.fspath(root)
        self.tar = open_tar_writer(out)
        self.epoch = epoch
        self.overlay = overlay
        self._links: dict[tuple[int, int], str] = {}

    def write(self) -> None:
        if not os.path.isdir(self.root):
            raise UserError(f'cannot archive "{self.root}": not a directory')
        self._walk(self.root, "")
        self.tar.close()

    def _walk(self, dirpath: str, prefix: str) -> None:
        entries = []
        for name in os.listdir(dirpath):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            whiteout = self.overlay and is_overlay_whiteout(st)
            entries.append((whiteout_name(name) if whiteout else name, path, st, whiteout))
        entries.sort(key=lambda e: os.fsencode(e[0]))
        for arcname, path, st, whiteout in entries:
            self._entry(prefix + arcname, path, st, whiteout)

    def _entry(self, name: str, path: str, st: os.stat_result, whiteout: bool) -> None:
        if whiteout:
            self._marker(name, st)
            return
        if stat.S_ISSOCK(st.st_mode):
            return  # sockets cannot be archived (containerd skips them too)
        info = self._header(name, path, st)
        if info.type == tarfile.REGTYPE:
            with open(path, "rb") as f:
                self.tar.addfile(info, f)
        else:
            self.tar.addfile(info)
        if info.type == tarfile.DIRTYPE:
            if self.overlay and is_opaque_dir(path):
                self._marker(f"{name}/{OPAQUE_MARKER}", st)
            self._walk(path, name + "/")

    def _marker(self, name: str, st: os.stat_result) -> None:
        """An empty 0:0 mode-0 file: a whiteout or opaque marker (containerd writes these)."""
        info = tarfile.TarInfo(name)
        info.mode, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
        info.mtime = clamp(st.st_mtime, self.epoch)
        self.tar.addfile(info)

    def _header(self, name: str, path: str, st: os.stat_result) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.mode = stat.S_IMODE(st.st_mode)
        info.uid, info.gid, info.uname, info.gname = st.st_uid, st.st_gid, "", ""
        info.mtime = clamp(st.st_mtime, self.epoch)
        info.pax_headers = xattr_records(path)
        self._set_type(info, path, st)
        return info

    def _set_type(self, info: tarfile.TarInfo, path: str, st: os.stat_result) -> None:
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            info.type = tarfile.DIRTYPE
        elif stat.S_ISLNK(mode):
            info.type, info.linkname = tarfile.SYMTYPE, os.readlink(path)
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            info.type = tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        elif stat.S_ISFIFO(mode):
            info.type = tarfile.FIFOTYPE
        elif st.st_nlink > 1 and (st.st_dev, st.st_ino) in self._links:
            info.type, info.linkname = tarfile.LNKTYPE, self._links[(st.st_dev, st.st_ino)]
        else:
            if st.st_nlink > 1:
                self._links[(st.st_dev, st.st_ino)] = info.name
            info.type, info.size = tarfile.REGTYPE, st.st_size


def write_tree(root: Path | str, out: BinaryIO, *, epoch: int | None = None, overlay: bool = False) -> None:
    """Write the tree under `root` (not `root` itself) to `out` as a deterministic tar."""
    TreeWriter(root, out, epoch=epoch, overlay=overlay).write()
