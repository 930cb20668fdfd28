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
import zlib
from operator import itemgetter
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
# TreeWriter hands `out` the tar in chunks of exactly 1 MiB (the last one shorter). The gzip
# writer makes a block of each chunk, so the blob's bytes depend on the tar's bytes alone.
CHUNK = 1 << 20


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


class ChunkBuffers:
    """Where TreeWriter's chunks live: `take()` gives a writable memoryview of `CHUNK`
    bytes to fill, `send(view, n)` passes on its first `n` bytes. This one reuses a single
    buffer and passes each chunk to `out.write`, which (as io's write contract says) must
    not keep it; archive.forked_tar fills shared memory instead."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._view = memoryview(bytearray(CHUNK))

    def take(self) -> memoryview:
        return self._view

    def send(self, view: memoryview, n: int) -> None:
        self._out.write(view if n == CHUNK else view[:n])


class _Chunks:
    """The tar as it is written, in chunks of exactly `CHUNK` bytes (the last one shorter),
    each filled in place: headers are copied in, file data is read straight into it."""

    def __init__(self, buffers: ChunkBuffers) -> None:
        self._buffers = buffers
        self.view = buffers.take()
        self.pos = 0  # bytes of the current chunk filled
        self._offset = 0  # of the current chunk in the tar

    def write(self, data: bytes) -> None:
        end = self.pos + len(data)
        if end < CHUNK:
            self.view[self.pos:end] = data
            self.pos = end
            return
        view = memoryview(data)
        while view:
            n = min(len(view), CHUNK - self.pos)
            self.view[self.pos:self.pos + n] = view[:n]
            self.filled(n)
            view = view[n:]

    def filled(self, n: int) -> None:
        """`n` more bytes of the current chunk were written into `view` directly."""
        self.pos += n
        if self.pos == CHUNK:
            self._emit()

    def tell(self) -> int:
        return self._offset + self.pos

    def flush(self) -> None:
        if self.pos:
            self._emit()

    def _emit(self) -> None:
        self._buffers.send(self.view, self.pos)
        self._offset += self.pos
        self.view = self._buffers.take()
        self.pos = 0


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


_USTAR = struct.Struct("100s48s8sc100s8s64x16s167x")  # name, 5 numbers, chksum, type, link, magic, devs
_MAX7, _MAX11 = 8**7, 8**11  # what 8- and 12-byte octal fields hold
_DEVICES = (tarfile.CHRTYPE, tarfile.BLKTYPE)
_PADDING = [bytes(n) for n in range(tarfile.BLOCKSIZE)]  # what ends a file's last block
_ONE_MORE = bytearray(1)  # a byte past a file's size: reading one means it grew
# O_NONBLOCK (as GNU tar): should a fifo have replaced the file since the listing, opening
# it cannot hang. O_NOATIME (only an owner or root may ask): archiving is not a use, and a
# step's fresh files would each have their inode written again (relatime; 300 MB of small
# files: 460 -> 430 ms).
_O_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_NOATIME if os.geteuid() == 0 else 0)


def ustar_header(info: tarfile.TarInfo) -> bytes | None:
    """`_ustar` of a TarInfo; None when tarfile must write it (PAX records needed, or owner
    names, which `_ustar` leaves empty)."""
    if info.pax_headers or info.uname or info.gname or type(info.mtime) is not int:
        return None
    name = info.name + "/" if info.type == tarfile.DIRTYPE and not info.name.endswith("/") else info.name
    return _ustar(name, info.mode & 0o7777, info.uid, info.gid, info.size, info.mtime, info.type,
                  info.linkname, info.devmajor, info.devminor)


def _ustar(name: str, mode: int, uid: int, gid: int, size: int, mtime: int, type: bytes,
           linkname: str = "", devmajor: int = 0, devminor: int = 0) -> bytes | None:
    """The header tarfile writes in PAX format when no extended record is needed, or None
    when one is (long or non-ASCII names, big numbers). Made from the fields, without
    tarfile's per-entry TarInfo copies and dicts (once half of the tar time on 40,000 small
    files); the bytes are tarfile's own (tests compare them)."""
    if not (name.isascii() and linkname.isascii() and len(name) <= 100 and len(linkname) <= 100
            and 0 <= uid < _MAX7 and 0 <= gid < _MAX7 and 0 <= size < _MAX11 and 0 <= mtime < _MAX11
            and 0 <= devmajor < _MAX7 and 0 <= devminor < _MAX7):
        return None
    devices = b"%07o\0%07o\0" % (devmajor, devminor) if type in _DEVICES else b""  # others: NUL
    block = _USTAR.pack(name.encode(), b"%07o\0%07o\0%07o\0%011o\0%011o\0" % (mode, uid, gid, size, mtime),
                        b" " * 8, type, linkname.encode(), tarfile.POSIX_MAGIC, devices)
    # The checksum is the sum of the bytes. adler32's low half is 1 + that sum mod 65521, and
    # an ASCII block sums to at most 512 * 127 < 65520: exact, and 10x faster than sum().
    return b"%s%06o\0%s" % (block[:148], (zlib.adler32(block) & 0xFFFF) - 1, block[155:])


def _header(name: str, type: bytes, mode: int, uid: int, gid: int, mtime: int, size: int = 0,
            linkname: str = "", devmajor: int = 0, devminor: int = 0, records: dict | None = None) -> bytes:
    """The header tarfile writes for the entry in PAX format (after its extended records,
    if any), with uname and gname empty."""
    if not records:
        header = _ustar(name, mode, uid, gid, size, mtime, type, linkname, devmajor, devminor)
        if header is not None:
            return header
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid, info.mtime, info.size = type, mode, uid, gid, mtime, size
    info.linkname, info.devmajor, info.devminor, info.uname, info.gname = linkname, devmajor, devminor, "", ""
    info.pax_headers = records or {}
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def open_tar_writer(out: BinaryIO) -> tarfile.TarFile:
    """A PAX tar writer on `out` (retar's: `pallet import`). Writes reach `out` in 1 MiB
    pieces: the stream mode's 10 KiB records (and its growing-buffer copies) cost a
    compressor and two hash calls each; measured 2x slower on a 300 MB tar. Headers that
    need no PAX records skip TarInfo.tobuf (20,000 small files: 830 -> 430 ms). The bytes
    are tarfile's."""
    buffered = io.BufferedWriter(_Sink(out), buffer_size=CHUNK)
    return _Tar.open(fileobj=buffered, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8",
                     errors="surrogateescape")


def xattr_records(target: str | int) -> dict[str, str]:
    """The SCHILY.xattr records of a path (a link itself, not followed) or of an open file."""
    follow = isinstance(target, int)  # an fd has no link to follow, and os refuses the flag for one
    try:
        names = os.listxattr(target, follow_symlinks=follow)
    except OSError:
        return {}
    records = {}
    for name in sorted(names):
        if name.startswith(OVERLAY_XATTR_PREFIX) or name in SKIPPED_XATTRS:
            continue
        try:
            value = os.getxattr(target, name, follow_symlinks=follow)
        except OSError:
            continue
        records[f"SCHILY.xattr.{name}"] = value.decode("utf-8", "surrogateescape")
    return records


def _changed(dirpath: str, name: str) -> UserError:
    return UserError(f'cannot archive "{os.path.join(dirpath, name)}": file changed as we read it',
                     hint="stop what is writing to it, then try again")


class TreeWriter:
    """Writes one directory tree as a tar; `write()` once.

    A layer can hold 40,000 files, so each should cost few system calls and little Python:
    names are looked up relative to an open directory (scandir, openat), a file is stat'ed
    and its xattrs listed through its open fd, and read straight into the current chunk.
    No TarInfo objects unless an entry needs PAX records.
    """

    def __init__(self, root: Path | str, buffers: ChunkBuffers, *, epoch: int | None = None,
                 overlay: bool = False, pooled: frozenset[int] = frozenset()) -> None:
        self.root = os.fspath(root)
        self.out = _Chunks(buffers)
        self.epoch = epoch
        self.overlay = overlay
        self._links: dict[tuple[int, int], str] = {}
        self._pooled = pooled  # inodes linked only by the file pool: not hard links of the tree

    def write(self) -> None:
        if not os.path.isdir(self.root):
            raise UserError(f'cannot archive "{self.root}": not a directory')
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            self._walk(fd, self.root, "")
        finally:
            os.close(fd)
        # The end as tarfile.close writes it: two zero blocks, then zeros up to a whole record.
        self.out.write(tarfile.NUL * (2 * tarfile.BLOCKSIZE))
        pad = -self.out.tell() % tarfile.RECORDSIZE
        if pad:
            self.out.write(tarfile.NUL * pad)
        self.out.flush()

    def _walk(self, dfd: int, dirpath: str, prefix: str) -> None:
        with os.scandir(dfd) as it:
            entries = [self._listed(e) for e in it]
        entries.sort(key=itemgetter(0))  # by the name's bytes
        for _, arcname, entry, whiteout in entries:
            name = prefix + arcname
            if whiteout:
                self._marker(name, entry.stat(follow_symlinks=False))
            elif entry.is_file(follow_symlinks=False):
                self._file(dfd, dirpath, name, entry.name)
            elif entry.is_dir(follow_symlinks=False):
                self._dir(dfd, dirpath, name, entry.name)
            else:
                self._special(dfd, dirpath, name, entry)

    def _listed(self, entry: os.DirEntry) -> tuple[bytes, str, os.DirEntry, bool]:
        """(sort key, name in the tar, entry, is an overlay whiteout: a 0:0 char device)."""
        whiteout = (self.overlay and not entry.is_dir(follow_symlinks=False)
                    and not entry.is_file(follow_symlinks=False)
                    and is_overlay_whiteout(entry.stat(follow_symlinks=False)))
        name = whiteout_name(entry.name) if whiteout else entry.name
        return os.fsencode(name), name, entry, whiteout

    def _dir(self, dfd: int, dirpath: str, name: str, base: str) -> None:
        fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
        try:
            st = os.fstat(fd)
            self._header(name + "/", tarfile.DIRTYPE, st, xattr_records(fd))
            path = os.path.join(dirpath, base)
            if self.overlay and is_opaque_dir(path):
                self._marker(f"{name}/{OPAQUE_MARKER}", st)
            self._walk(fd, path, name + "/")
        finally:
            os.close(fd)

    def _file(self, dfd: int, dirpath: str, name: str, base: str) -> None:
        fd = os.open(base, _O_FILE, dir_fd=dfd)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise _changed(dirpath, base)
            records = xattr_records(fd)
            if st.st_nlink > 1 and st.st_ino not in self._pooled:
                first = self._links.setdefault((st.st_dev, st.st_ino), name)
                if first != name:
                    self._header(name, tarfile.LNKTYPE, st, records, linkname=first)
                    return
            self._header(name, tarfile.REGTYPE, st, records, size=st.st_size)
            self._data(fd, st.st_size, dirpath, base)
        finally:
            os.close(fd)

    def _data(self, fd: int, size: int, dirpath: str, base: str) -> None:
        """The file's bytes, read into the chunks, then the zeros that end its last block."""
        out = self.out
        left = size
        while True:
            want = min(left, CHUNK - out.pos)
            last = want == left
            target = out.view[out.pos:out.pos + want]
            # The last read asks for one byte more: it only comes if the file grew.
            got = os.readv(fd, [target, _ONE_MORE] if last else [target])
            while got < want and (more := os.readv(fd, [target[got:]])):
                got += more  # a short read: the file shrank, or a slow filesystem
            if got != want:
                raise _changed(dirpath, base)
            out.filled(want)
            left -= want
            if last:
                break
        if size % tarfile.BLOCKSIZE:
            out.write(_PADDING[-size % tarfile.BLOCKSIZE])

    def _special(self, dfd: int, dirpath: str, name: str, entry: os.DirEntry) -> None:
        st = entry.stat(follow_symlinks=False)
        mode = st.st_mode
        if stat.S_ISSOCK(mode):
            return  # sockets cannot be archived (containerd skips them too)
        records = xattr_records(os.path.join(dirpath, entry.name))  # an fd would follow a link
        if stat.S_ISLNK(mode):
            self._header(name, tarfile.SYMTYPE, st, records, linkname=os.readlink(entry.name, dir_fd=dfd))
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            self._header(name, tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE, st, records)
        elif stat.S_ISFIFO(mode):
            self._header(name, tarfile.FIFOTYPE, st, records)
        else:
            raise _changed(dirpath, entry.name)  # a file or directory when the listing was read

    def _header(self, name: str, type: bytes, st: os.stat_result, records: dict[str, str], *,
                size: int = 0, linkname: str = "") -> None:
        major, minor = (os.major(st.st_rdev), os.minor(st.st_rdev)) if type in _DEVICES else (0, 0)
        self.out.write(_header(name, type, st.st_mode & 0o7777, st.st_uid, st.st_gid,
                               clamp(st.st_mtime, self.epoch), size, linkname, major, minor, records))

    def _marker(self, name: str, st: os.stat_result) -> None:
        """An empty 0:0 mode-0 file: a whiteout or opaque marker (containerd writes these)."""
        self.out.write(_header(name, tarfile.REGTYPE, 0, 0, 0, clamp(st.st_mtime, self.epoch)))


def write_tree(root: Path | str, out: BinaryIO, *, epoch: int | None = None, overlay: bool = False,
               pooled: frozenset[int] = frozenset()) -> None:
    """Write the tree under `root` (not `root` itself) to `out` as a deterministic tar; a
    file whose inode is in `pooled` is never a hard link (see snapshot.filepool)."""
    TreeWriter(root, ChunkBuffers(out), epoch=epoch, overlay=overlay, pooled=pooled).write()
