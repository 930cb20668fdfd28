"""The one module that calls mount(2) and umount2(2).

`Mount` values (plans, from a Snapshotter) become kernel mounts here and nowhere
else. Options are split the way containerd's `core/mount/mount_linux.go` does:
words that are MS_* flags go into `flags`, the rest into the data string.

mount(2) copies at most one page of data (PAGE_SIZE, 4096 here), so an overlay of
100+ layers with absolute lowerdirs does not fit. Like containerd
(`compactLowerdirOption`) and Docker's overlay2, we then make the lowerdirs
relative to their common parent and mount from a process whose working directory
is that parent. chdir(2) is per process, so that process is a child (util-linux
`mount` with `cwd=`), never pallet itself, whose other threads resolve paths too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import re
import subprocess
import time
from contextlib import contextmanager
from typing import Iterator, Sequence

from pallet.errors import StoreError
from pallet.snapshot.base import Mount

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC = 0x20, 0x1000, 0x4000
MNT_DETACH = 0x2
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

# option word -> (flags to clear, flags to set); from <sys/mount.h>
_FLAGS: dict[str, tuple[int, int]] = {
    "ro": (0, MS_RDONLY), "rw": (MS_RDONLY, 0),
    "bind": (0, MS_BIND), "rbind": (0, MS_BIND | MS_REC),
    "nosuid": (0, MS_NOSUID), "suid": (MS_NOSUID, 0),
    "nodev": (0, MS_NODEV), "dev": (MS_NODEV, 0),
    "noexec": (0, MS_NOEXEC), "exec": (MS_NOEXEC, 0),
    "noatime": (0, 0x400), "nodiratime": (0, 0x800), "relatime": (0, 1 << 21),
    "strictatime": (0, 1 << 24), "sync": (0, 0x10), "dirsync": (0, 0x80),
    "remount": (0, MS_REMOUNT), "defaults": (0, 0),
}

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


class MountError(StoreError):
    """mount(2) or umount2(2) failed."""

    def __init__(self, message: str, err: int) -> None:
        super().__init__(message)
        self.errno = err


def split_options(options: Sequence[str]) -> tuple[int, str]:
    """(MS_* flags, data string) for mount(2)."""
    flags, data = 0, []
    for opt in options:
        if opt in _FLAGS:
            clear, set_ = _FLAGS[opt]
            flags = (flags & ~clear) | set_
        else:
            data.append(opt)
    return flags, ",".join(data)


def compact_lowerdirs(options: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """(common parent, options with lowerdirs relative to it): containerd's compaction."""
    lower = next(o for o in options if o.startswith("lowerdir="))
    dirs = lower.removeprefix("lowerdir=").split(":")
    common = os.path.commonpath(dirs)
    if len(dirs) == 1:
        common = os.path.dirname(common)
    rel = ":".join(os.path.relpath(d, common) for d in dirs)
    return common, tuple(f"lowerdir={rel}" if o is lower else o for o in options)


def mount(m: Mount, target: str | os.PathLike[str]) -> None:
    """Mount one `Mount` on `target`."""
    target = os.fspath(target)
    flags, data = split_options(m.options)
    if len(data) >= PAGE_SIZE and m.type == "overlay":
        _mount_compacted(m, target)
        return
    _sys_mount(m.source, target, m.type, flags, data)
    if flags & MS_BIND and flags & MS_RDONLY:
        # A bind mount ignores MS_RDONLY; read-only takes a second, remount call.
        _sys_mount("", target, "", flags | MS_REMOUNT, "")


def unmount(target: str | os.PathLike[str], *, retries: int = 20) -> None:
    """Unmount `target`; retry while busy, then detach it lazily."""
    target = os.fspath(target)
    for _ in range(retries):
        if _libc.umount2(target.encode(), 0) == 0:
            return
        err = ctypes.get_errno()
        if err != errno.EBUSY:
            raise MountError(f"unmount {target}: {os.strerror(err).lower()}", err)
        time.sleep(0.05)
    if _libc.umount2(target.encode(), MNT_DETACH) != 0:
        err = ctypes.get_errno()
        raise MountError(f"unmount {target}: {os.strerror(err).lower()}", err)


@contextmanager
def mounted(mounts: Sequence[Mount], target: str | os.PathLike[str]) -> Iterator[str]:
    """Mount `mounts` on `target` in order; unmount them all on the way out, whatever happens."""
    target = os.fspath(target)
    done = 0
    try:
        for m in mounts:
            mount(m, target)
            done += 1
        yield target
    finally:
        for _ in range(done):
            unmount(target)


def mount_points() -> list[str]:
    """Every mount point in this mount namespace (field 5 of /proc/self/mountinfo)."""
    with open("/proc/self/mountinfo") as f:
        return [_unescape(line.split()[4]) for line in f]


def is_mountpoint(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a mount point in this mount namespace."""
    return os.path.realpath(path) in mount_points()


def _sys_mount(source: str, target: str, fstype: str, flags: int, data: str) -> None:
    rc = _libc.mount(source.encode(), target.encode(), fstype.encode(), flags, data.encode() or None)
    if rc != 0:
        err = ctypes.get_errno()
        raise MountError(f"mount {fstype or 'remount'} on {target}: {os.strerror(err).lower()}", err)


def _mount_compacted(m: Mount, target: str) -> None:
    cwd, options = compact_lowerdirs(m.options)
    flags, data = split_options(options)
    if len(data) >= PAGE_SIZE:
        raise MountError(f"mount overlay on {target}: {len(data)} bytes of options exceed a page", errno.E2BIG)
    words = [o for o in options if o in _FLAGS] + [data]
    proc = subprocess.run(
        ["mount", "-n", "-t", m.type, "-o", ",".join(words), m.source, target],
        cwd=cwd, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise MountError(f"mount overlay on {target}: {proc.stderr.strip()}", errno.EINVAL)


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal (\\040)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)
