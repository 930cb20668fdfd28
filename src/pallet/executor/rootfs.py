"""Path work inside a container's root filesystem before and after a run.

Every path here is resolved *inside* the root, as the container would see it: a
symlink `/etc -> /usr/etc`, or `../../..`, never leads out to the host. That is
continuity's `fs.RootPath` (what BuildKit uses); we follow the same rules.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pallet.archive import rootpath

def resolve_in_root(root: str | os.PathLike[str], path: str) -> Path:
    """The host path of `path` in `root`, its last symlink followed too."""
    return Path(rootpath.resolve_in_root(root, path, follow_last=True))


def ensure_workdir(root: str | os.PathLike[str], cwd: str, uid: int, gid: int) -> None:
    """Create the working dir and missing parents, 0755, owned by the user.

    BuildKit's runc executor does this before every run
    (`idtools.MkdirAllAndChown(cwd, 0755, identity)`); only the dirs it makes are
    chowned, existing ones keep their owner.
    """
    missing = []
    path = resolve_in_root(root, cwd)
    while not os.path.lexists(path):
        missing.append(path)
        path = path.parent
    for d in reversed(missing):
        os.mkdir(d)
        os.chmod(d, 0o755)  # not masked by our umask
        os.chown(d, uid, gid)


def find_stubs(root: str | os.PathLike[str], destinations: list[str]) -> list[Path]:
    """Mount destinations that do not exist yet: runc will create them as stubs.

    BuildKit's `executor/stubs.go:MountStubsCleaner` removes such stubs after the
    run so that /etc/hosts, /etc/resolv.conf and RUN --mount targets do not end
    up in the layer. (/dev, /proc and /sys are not stubs: BuildKit leaves them.)
    """
    stubs = []
    for dest in destinations:
        if dest.strip("/") == "":
            continue
        try:
            path = resolve_in_root(root, dest)
        except OSError:
            continue
        if not os.path.lexists(path):
            stubs.append(path)
    return stubs


def remove_stubs(stubs: list[Path]) -> None:
    """Remove stubs that are still empty files or empty dirs; keep the parent's mtime."""
    for path in stubs:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        empty_file = stat.S_ISREG(st.st_mode) and st.st_size == 0
        empty_dir = stat.S_ISDIR(st.st_mode) and not os.listdir(path)
        if not (empty_file or empty_dir):
            continue
        parent = os.stat(path.parent)
        (os.rmdir if empty_dir else os.unlink)(path)
        os.utime(path.parent, ns=(parent.st_atime_ns, parent.st_mtime_ns))
