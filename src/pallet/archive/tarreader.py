"""Safe extraction of a layer tar into a directory, whiteouts included.

A layer is untrusted input. Every entry's path is resolved inside `dest` the way the image
itself will see it: `..` stops at the root, absolute names and absolute symlink targets are
taken relative to `dest`, and symlinked parents are followed *within* `dest` (containerd
pkg/archive uses the same rooted resolution, fs.RootPath). So no entry can write outside
`dest`, whatever links earlier entries made. Hard links must point at an entry inside `dest`.

Whiteouts (see whiteout.py) are handled in one of two ways:
- `overlay=True`: `dest` is an overlay upper dir; `.wh.NAME` becomes a 0:0 char device and
  `.wh..wh..opq` the `trusted.overlay.opaque=y` xattr (containerd archive/tar_opts_linux.go).
- `overlay=False`: `dest` already holds the lower layers; whiteouts delete from it.
Owners are set only when running as root; modes, xattrs, devices and mtimes are kept.
"""

from __future__ import annotations

import errno
import os
import posixpath
import shutil
import stat
import tarfile
from pathlib import Path
from typing import BinaryIO

from pallet.archive.whiteout import OPAQUE_MARKER, OPAQUE_XATTR, whited_out
from pallet.archive.rootpath import resolve_in_root
from pallet.errors import UserError

class LayerPathError(UserError):
    """A layer entry that would land outside the extraction root."""


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


class LayerExtractor:
    def __init__(self, dest: Path | str, *, overlay: bool = False) -> None:
        self.dest = os.path.realpath(dest)
        self.overlay = overlay
        self.as_root = os.geteuid() == 0
        self._dir_times: list[tuple[str, int]] = []
        self._added: set[str] = set()  # host paths this layer wrote (opaque keeps them)

    def extract(self, src: BinaryIO) -> None:
        try:
            with tarfile.open(fileobj=src, mode="r|", encoding="utf-8", errors="surrogateescape") as tar:
                for info in tar:
                    self._checked_entry(tar, info)
        except (tarfile.TarError, EOFError) as e:
            raise UserError(f"invalid layer tar: {e}") from e
        for path, mtime in reversed(self._dir_times):
            os.utime(path, (mtime, mtime), follow_symlinks=False)

    def _checked_entry(self, tar: tarfile.TarFile, info: tarfile.TarInfo) -> None:
        try:
            self._entry(tar, info)
        except (tarfile.TarError, EOFError, UserError):
            raise
        except OSError as e:
            raise UserError(f'cannot extract "{info.name}": {e.strerror or e}') from e

    def _entry(self, tar: tarfile.TarFile, info: tarfile.TarInfo) -> None:
        name = posixpath.normpath("/" + info.name).lstrip("/")
        if not name or name == ".":
            return self._set_meta(self.dest, info)  # the root entry: metadata only
        parent = resolve_in_root(self.dest, posixpath.dirname(name), follow_last=True)
        base = posixpath.basename(name)
        if base == OPAQUE_MARKER:
            return self._opaque(parent)
        hidden = whited_out(base)
        if hidden is not None:
            return self._whiteout(os.path.join(parent, hidden))
        os.makedirs(parent, exist_ok=True)
        self._create(tar, info, os.path.join(parent, base))

    def _opaque(self, dirpath: str) -> None:
        if not os.path.isdir(dirpath):
            return
        if self.overlay:
            os.setxattr(dirpath, OPAQUE_XATTR, b"y")
            return
        for child in os.listdir(dirpath):
            path = os.path.join(dirpath, child)
            if path not in self._added:
                _remove(path)

    def _whiteout(self, path: str) -> None:
        _remove(path)
        if self.overlay:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))

    def _create(self, tar: tarfile.TarFile, info: tarfile.TarInfo, path: str) -> None:
        if not (info.isdir() and os.path.isdir(path) and not os.path.islink(path)):
            _remove(path)
        self._added.add(path)
        if info.isdir():
            os.makedirs(path, exist_ok=True)
        elif info.isreg():
            with open(path, "xb") as f:
                shutil.copyfileobj(tar.extractfile(info), f)  # type: ignore[arg-type]
        elif info.issym():
            os.symlink(info.linkname, path)
        elif info.islnk():
            self._hardlink(info, path)
            return  # a link shares its target's metadata
        elif info.ischr() or info.isblk() or info.isfifo():
            self._mknod(info, path)
        else:
            raise UserError(f'unsupported tar entry type {info.type!r} for "{info.name}"')
        self._set_meta(path, info)

    def _hardlink(self, info: tarfile.TarInfo, path: str) -> None:
        target = resolve_in_root(self.dest, posixpath.normpath("/" + info.linkname).lstrip("/"))
        if not os.path.lexists(target) or os.path.isdir(target):
            raise LayerPathError(f'hard link "{info.name}" points at "{info.linkname}", which is not in the layer')
        os.link(target, path, follow_symlinks=False)

    def _mknod(self, info: tarfile.TarInfo, path: str) -> None:
        kind = stat.S_IFIFO if info.isfifo() else stat.S_IFCHR if info.ischr() else stat.S_IFBLK
        try:
            os.mknod(path, kind | 0o600, os.makedev(info.devmajor, info.devminor))
        except PermissionError:
            raise UserError(f'cannot create device "{info.name}": creating devices needs root') from None

    def _set_meta(self, path: str, info: tarfile.TarInfo) -> None:
        set_entry_meta(path, info, self._dir_times, as_root=self.as_root)


def set_entry_meta(path: str, info: tarfile.TarInfo, dir_times: list[tuple[str, int]], *,
                   as_root: bool) -> None:
    """Owner (as root), xattrs, mode and mtime of an extracted entry, chmod after chown, which
    clears setuid bits. A directory's mtime goes to `dir_times`, to be set once its entries
    are in; xattrs the destination refuses are dropped, as moby drops them."""
    if as_root:
        os.chown(path, info.uid, info.gid, follow_symlinks=False)
    for key, value in info.pax_headers.items():
        if key.startswith("SCHILY.xattr."):
            _setxattr(path, key[len("SCHILY.xattr.") :], value.encode("utf-8", "surrogateescape"))
    if info.issym():
        os.utime(path, (info.mtime, info.mtime), follow_symlinks=False)
        return
    os.chmod(path, stat.S_IMODE(info.mode))
    if info.isdir():
        dir_times.append((path, int(info.mtime)))
    else:
        os.utime(path, (info.mtime, info.mtime))


def _setxattr(path: str, name: str, value: bytes) -> None:
    try:
        os.setxattr(path, name, value, follow_symlinks=False)
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EACCES):
            raise


def extract_layer(src: BinaryIO, dest: Path | str, *, overlay: bool = False) -> None:
    """Apply the uncompressed layer tar `src` to `dest` (see the module docstring)."""
    LayerExtractor(dest, overlay=overlay).extract(src)
