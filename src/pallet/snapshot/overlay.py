"""OverlaySnapshotter: snapshots as numbered directories stacked with overlayfs.

On-disk layout (one path helper, `_dir`, owns it), like containerd's
`plugins/snapshots/overlay/overlay.go`:

    <root>/metadata.json        keys and names -> {id, kind, chain}
    <root>/lock                 flock(2) around every metadata change
    <root>/snapshots/<id>/fs    the snapshot's own files: the upper dir, its diff
    <root>/snapshots/<id>/work  overlayfs's work dir (same filesystem as fs)

Ids are small integers so that `lowerdir=` stays short: a 150-layer stack under a
long root still fits mount(2)'s one-page option limit once `pallet.snapshot.mount`
makes the lowerdirs relative to `<root>/snapshots`.

Mount options, and why:
- `index=off`: a lower dir may be shared by many overlays at once; with the
  inode index on, the kernel refuses a lower dir used by another mount's index
  (containerd and Docker mount with index=off for the same reason).
- `redirect_dir=off`, `metacopy=off`: both would write xattrs into the upper dir
  (`trusted.overlay.redirect`, metacopy-only files) that an OCI layer tar cannot
  express; with them off, renaming a lower dir fails with EXDEV and tools fall
  back to copy+delete, which the diff can carry. Debian's kernels default to off;
  saying so makes the diff independent of the kernel config.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pallet.errors import AlreadyExistsError, NotFoundError, StoreError
from pallet.snapshot.base import Mount

OVERLAY_OPTIONS = ("index=off", "redirect_dir=off", "metacopy=off")

ACTIVE, VIEW, COMMITTED = "active", "view", "committed"


class OverlaySnapshotter:
    """The Snapshotter role over overlayfs; see `pallet.snapshot.base`."""

    def __init__(self, root_dir: str | os.PathLike[str]) -> None:
        self.root = Path(root_dir).absolute()
        (self.root / "snapshots").mkdir(parents=True, exist_ok=True)

    # -- the role ---------------------------------------------------------

    def prepare(self, key: str, parents: list[str]) -> list[Mount]:
        return self._create(key, parents, ACTIVE)

    def view(self, key: str, parents: list[str]) -> list[Mount]:
        return self._create(key, parents, VIEW)

    def mounts(self, key: str) -> list[Mount]:
        with self._metadata() as meta:
            info = _active(meta, key)
        return self._mounts(info)

    def upper_dir(self, key: str) -> Path:
        with self._metadata() as meta:
            info = _active(meta, key)
        return self._dir(info["id"]) / "fs"

    def commit(self, name: str, key: str) -> None:
        with self._metadata(write=True) as meta:
            info = _active(meta, key)
            if info["kind"] != ACTIVE:
                raise StoreError(f"snapshot {key!r} is a read-only view and cannot be committed")
            _absent(meta, name)
            del meta["snapshots"][key]
            meta["snapshots"][name] = {**info, "kind": COMMITTED}

    def remove(self, key: str) -> None:
        with self._metadata(write=True) as meta:
            info = _get(meta, key)
            if info["kind"] == COMMITTED and _children(meta, info["id"]):
                raise StoreError(f"snapshot {key!r} has children and cannot be removed")
            del meta["snapshots"][key]
        shutil.rmtree(self._dir(info["id"]), ignore_errors=True)

    def exists(self, key: str) -> bool:
        with self._metadata() as meta:
            return key in meta["snapshots"]

    # -- internals --------------------------------------------------------

    def _create(self, key: str, parents: list[str], kind: str) -> list[Mount]:
        with self._metadata(write=True) as meta:
            _absent(meta, key)
            chain = _chain(meta, parents)
            sid = meta["next_id"]
            meta["next_id"] = sid + 1
            info = {"id": sid, "kind": kind, "chain": chain}
            for sub in ("fs", "work"):
                (self._dir(sid) / sub).mkdir(parents=True)
            meta["snapshots"][key] = info
        return self._mounts(info)

    def _mounts(self, info: dict) -> list[Mount]:
        """containerd's `overlay.go:mounts`: bind for 0 parents (or 1 for a view), else overlay."""
        sid, chain = info["id"], info["chain"]
        readonly = info["kind"] == VIEW
        if not chain:
            return [Mount("bind", str(self._dir(sid) / "fs"), ("ro" if readonly else "rw", "rbind"))]
        if readonly and len(chain) == 1:
            return [Mount("bind", str(self._dir(chain[0]) / "fs"), ("ro", "rbind"))]
        # lowerdir lists the top layer first (Documentation/filesystems/overlayfs.rst).
        lower = ":".join(str(self._dir(i) / "fs") for i in reversed(chain))
        options = [*OVERLAY_OPTIONS, f"lowerdir={lower}"]
        if not readonly:
            options += [f"upperdir={self._dir(sid) / 'fs'}", f"workdir={self._dir(sid) / 'work'}"]
        return [Mount("overlay", "overlay", tuple(options))]

    def _dir(self, sid: int) -> Path:
        return self.root / "snapshots" / str(sid)

    @contextmanager
    def _metadata(self, write: bool = False) -> Iterator[dict]:
        """Read (and, if `write`, atomically rewrite) metadata.json under an flock."""
        path = self.root / "metadata.json"
        with open(self.root / "lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
            meta = _load(path)
            yield meta
            if write:
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(meta, sort_keys=True))
                os.replace(tmp, path)


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {"next_id": 1, "snapshots": {}}


def _get(meta: dict, key: str) -> dict:
    try:
        return meta["snapshots"][key]
    except KeyError:
        raise NotFoundError(f"snapshot {key!r} does not exist") from None


def _active(meta: dict, key: str) -> dict:
    info = _get(meta, key)
    if info["kind"] == COMMITTED:
        raise StoreError(f"snapshot {key!r} is committed, not active")
    return info


def _absent(meta: dict, key: str) -> None:
    if key in meta["snapshots"]:
        raise AlreadyExistsError(f"snapshot {key!r} already exists")


def _chain(meta: dict, parents: list[str]) -> list[int]:
    """Ids of every layer under a new snapshot, lowest first, each once (the topmost wins)."""
    ids: list[int] = []
    for name in parents:
        info = _get(meta, name)
        if info["kind"] != COMMITTED:
            raise StoreError(f"parent {name!r} is not a committed snapshot")
        ids += [*info["chain"], info["id"]]
    seen: set[int] = set()
    top_down = [i for i in reversed(ids) if not (i in seen or seen.add(i))]
    return top_down[::-1]


def _children(meta: dict, sid: int) -> list[str]:
    return [k for k, v in meta["snapshots"].items() if sid in v["chain"]]
