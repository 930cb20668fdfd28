"""type=local: the target's filesystem copied into a directory (BuildKit's local exporter).

What the client side of BuildKit does (`session/filesync.syncTargetDiffCopy` +
fsutil.Receive with Merge): dest is created 0700 if missing; files keep their modes, mtimes
and link targets but belong to the invoking user (fsutil's Filter sets uid/gid to
os.Getuid/Getgid); what dest already held is kept unless the export has the same path, in
which case the export wins. `mode=delete` gives a dest that holds exactly the export: it is
staged beside dest and swapped in.

Writing never follows a symlink of dest: a path whose type differs from the export's is
removed first, and the tree is walked from the (read-only) view, never from dest.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile

from pallet.exporter.base import ExportContext, ExportInput
from pallet.exporter.outputs import LocalOutput
from pallet.exporter.rootfs import mounted_rootfs, pooled_inodes


def export_local(ctx: ExportContext, spec: LocalOutput, inputs: list[ExportInput]) -> dict:
    progress = ctx.progress
    v = progress.vertex("exporting to client directory")
    with mounted_rootfs(ctx, inputs, spec.platform_split) as root:
        size = _export(root, spec, TreeCopier(os.getuid(), os.getgid(), pooled_inodes(ctx)))
    progress.status(v, f"copying files {_human(size)} done")
    progress.done(v)
    return {}


def _export(root: str, spec: LocalOutput, copier: TreeCopier) -> int:
    if not spec.replace:
        os.makedirs(spec.dest, 0o700, exist_ok=True)
        return copier.copy(root, spec.dest)
    dest = os.path.abspath(spec.dest)
    os.makedirs(os.path.dirname(dest), 0o700, exist_ok=True)
    stage = tempfile.mkdtemp(prefix=".pallet-local-export-", dir=os.path.dirname(dest))
    try:
        size = copier.copy(root, stage)
        if os.path.isdir(dest):
            shutil.rmtree(dest)
        os.rename(stage, dest)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return size


class TreeCopier:
    """Copies a tree into a directory, merging; returns the bytes of regular files copied."""

    def __init__(self, uid: int, gid: int, pooled: frozenset[int] = frozenset()) -> None:
        self.uid, self.gid = uid, gid
        self._links: dict[tuple[int, int], str] = {}  # hard links stay hard links...
        self._pooled = pooled  # ...but those of the file pool (filepool.pooled_inodes)
        self.size = 0

    def copy(self, src: str, dest: str) -> int:
        self._dir_entries(src, dest)
        return self.size

    def _dir_entries(self, src: str, dest: str) -> None:
        for name in sorted(os.listdir(src)):
            self._entry(os.path.join(src, name), os.path.join(dest, name))

    def _entry(self, src: str, dest: str) -> None:
        st = os.lstat(src)
        mode = st.st_mode
        if stat.S_ISSOCK(mode):
            return  # sockets cannot be copied (fsutil skips them too)
        if stat.S_ISDIR(mode):
            self._make_dir(dest)
            self._dir_entries(src, dest)
        else:
            _clear(dest)
            self._make_other(src, dest, st)
        self._set_meta(dest, st)

    def _make_dir(self, dest: str) -> None:
        try:
            st = os.lstat(dest)
        except FileNotFoundError:
            os.mkdir(dest, 0o700)
            return
        if not stat.S_ISDIR(st.st_mode):
            os.unlink(dest)
            os.mkdir(dest, 0o700)

    def _make_other(self, src: str, dest: str, st: os.stat_result) -> None:
        mode = st.st_mode
        inode = (st.st_dev, st.st_ino)
        linked = st.st_nlink > 1 and st.st_ino not in self._pooled
        if linked and inode in self._links and not stat.S_ISLNK(mode):
            os.link(self._links[inode], dest)
            return
        if stat.S_ISREG(mode):
            self._copy_file(src, dest)
            if linked:
                self._links[inode] = dest
        elif stat.S_ISLNK(mode):
            os.symlink(os.readlink(src), dest)
        elif stat.S_ISFIFO(mode):
            os.mkfifo(dest, 0o600)
        else:  # character and block devices: only root may make them, as with fsutil
            os.mknod(dest, stat.S_IFMT(mode) | 0o600, st.st_rdev)

    def _copy_file(self, src: str, dest: str) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with open(src, "rb") as fin, os.fdopen(os.open(dest, flags, 0o600), "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
            self.size += fout.tell()

    def _set_meta(self, dest: str, st: os.stat_result) -> None:
        # chown before chmod: chown clears set-uid/set-gid bits the mode must keep.
        os.chown(dest, self.uid, self.gid, follow_symlinks=False)
        if not stat.S_ISLNK(st.st_mode):
            os.chmod(dest, stat.S_IMODE(st.st_mode))
        os.utime(dest, ns=(st.st_mtime_ns, st.st_mtime_ns), follow_symlinks=False)


def _clear(dest: str) -> None:
    """Remove what dest holds at this path, so the export's entry replaces it."""
    try:
        st = os.lstat(dest)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(dest)
    else:
        os.unlink(dest)


def _human(size: int) -> str:
    """go-units HumanSize as BuildKit's progress prints it: 1.23MB, 512B."""
    from pallet.image.display import human_size

    return human_size(size, 4)
