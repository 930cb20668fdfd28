"""A busybox root filesystem made from Debian's busybox-static, for tests.

It is the tree `shared/buildkit-goldens/tools/make_base.sh` makes (the goldens'
`busybox:local`): /bin/busybox, its applets as absolute symlinks to it wherever
`busybox --list-full` puts them (/bin, /sbin, /usr/bin, /usr/sbin, /linuxrc),
/etc/passwd (root, nobody), /etc/group (root, nogroup), /tmp 1777, /root 0700,
everything 0:0 with one fixed mtime. make_base.sh chroots to run
`busybox --install -s`; we ask the host copy of the same static binary for the
list instead and make the links ourselves, so no chroot is needed.
"""

from __future__ import annotations

import atexit
import functools
import glob
import os
import shutil
import struct
import subprocess
import tarfile
import tempfile
from pathlib import Path

MTIME = 1672531200  # make_base.sh: --mtime=@1672531200
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"
DIRS = {"bin": 0o755, "sbin": 0o755, "usr": 0o755, "usr/bin": 0o755, "usr/sbin": 0o755,
        "etc": 0o755, "root": 0o700, "tmp": 0o1777}
HINT = "install Debian's busybox-static (apt-get install busybox-static) or set PALLET_BUSYBOX"


class BusyboxNotFoundError(RuntimeError):
    pass


def find_busybox() -> Path:
    """A static busybox: $PALLET_BUSYBOX, the installed busybox-static, or its .deb in apt's cache."""
    if os.environ.get("PALLET_BUSYBOX"):
        return Path(os.environ["PALLET_BUSYBOX"])
    if os.path.exists("/bin/busybox") and is_static_elf("/bin/busybox"):
        return Path("/bin/busybox")
    # Only the host's: the cache may also hold arm64/armhf ones (pallet.testing.platforms).
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    debs = sorted(glob.glob(f"/var/cache/apt/archives/busybox-static_*_{arch or '*'}.deb"))
    if debs:
        return _extract_deb(debs[-1])
    raise BusyboxNotFoundError(f"no static busybox found: {HINT}")


def is_static_elf(path: str | os.PathLike[str]) -> bool:
    """An ELF with no PT_INTERP program header runs without a dynamic loader."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:  # 64-bit only
            return False
        end = "<" if head[5] == 1 else ">"
        phoff, = struct.unpack(end + "Q", head[32:40])
        phentsize, phnum = struct.unpack(end + "HH", head[54:58])
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    types = [struct.unpack(end + "I", table[i:i + 4])[0] for i in range(0, len(table), phentsize)]
    return 3 not in types


def applets(busybox: str | os.PathLike[str]) -> list[str]:
    """`busybox --list-full`: applet paths relative to /, e.g. "usr/bin/awk"."""
    out = subprocess.run([os.fspath(busybox), "--list-full"], capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if line]


def make_busybox_rootfs(dest: str | os.PathLike[str], busybox: str | os.PathLike[str] | None = None) -> Path:
    """Fill `dest` (made if missing) with the busybox root filesystem."""
    dest = Path(dest)
    busybox = Path(busybox) if busybox else find_busybox()
    dest.mkdir(parents=True, exist_ok=True)
    for name, mode in DIRS.items():
        (dest / name).mkdir(exist_ok=True)
        os.chmod(dest / name, mode)
    shutil.copyfile(busybox, dest / "bin/busybox")
    os.chmod(dest / "bin/busybox", 0o755)
    for name, text in (("etc/passwd", PASSWD), ("etc/group", GROUP)):
        (dest / name).write_text(text)
        os.chmod(dest / name, 0o644)
    for applet in _cached_applets(str(busybox)):
        link = dest / applet
        if not os.path.lexists(link):  # `--install -s` keeps what exists (bin/busybox)
            os.symlink("/bin/busybox", link)
    _normalize(dest)
    return dest


def write_rootfs_tar(src: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """A deterministic tar of `src`: GNU tar's --sort=name order, 0:0 numeric owners, one mtime."""
    src, out = Path(src), Path(out)
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
        for path, arcname in _sorted_walk(src, "."):
            info = tar.gettarinfo(path, arcname)  # tarfile adds the "/" of dirs
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = MTIME
            if info.isreg():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return out


@functools.cache
def busybox_rootfs() -> Path:
    """One busybox rootfs per process (a test session): treat it as read-only."""
    return make_busybox_rootfs(Path(_session_dir()) / "rootfs")


@functools.cache
def busybox_tar() -> Path:
    """The tar of `busybox_rootfs()`, made once per process."""
    return write_rootfs_tar(busybox_rootfs(), Path(_session_dir()) / "busybox-rootfs.tar")


@functools.cache
def _session_dir() -> str:
    path = tempfile.mkdtemp(prefix="pallet-busybox-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@functools.cache
def _cached_applets(busybox: str) -> tuple[str, ...]:
    return tuple(applets(busybox))


def _extract_deb(deb: str | os.PathLike[str], dirname: str = "deb") -> Path:
    """The busybox of a busybox-static .deb, unpacked under the session dir as `dirname`."""
    out = Path(_session_dir()) / dirname
    subprocess.run(["dpkg-deb", "-x", str(deb), str(out)], check=True)
    return out / "bin/busybox"


def _normalize(root: Path) -> None:
    """Everything 0:0 (when we may chown) with the fixed mtime; dirs last, bottom-up."""
    may_chown = os.geteuid() == 0
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in [*filenames, *dirnames]:
            _fix(os.path.join(dirpath, name), may_chown)
    _fix(str(root), may_chown)


def _fix(path: str, may_chown: bool) -> None:
    if may_chown:
        os.lchown(path, 0, 0)
    os.utime(path, (MTIME, MTIME), follow_symlinks=False)


def _sorted_walk(path: Path, arcname: str):
    yield path, arcname
    if path.is_dir() and not path.is_symlink():
        for name in sorted(os.listdir(path), key=os.fsencode):
            yield from _sorted_walk(path / name, f"{arcname}/{name}")


def commit_busybox(snapshotter, name: str = "busybox") -> str:
    """Commit a busybox rootfs as the snapshot `name` of `snapshotter`; returns `name`."""
    key = f"{name}-extract"
    snapshotter.prepare(key, [])
    shutil.copytree(busybox_rootfs(), snapshotter.upper_dir(key), symlinks=True, dirs_exist_ok=True)
    _normalize(snapshotter.upper_dir(key))
    snapshotter.commit(name, key)
    return name
