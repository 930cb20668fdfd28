"""CacheMounts: the directories behind `RUN --mount=type=cache`, kept per state root.

Layout, one namespace per cache id (the id is hashed, so two different ids never share a
directory, whatever characters they hold; `meta.json` keeps the id for `pallet builder du`):

    <root>/cachemounts/<sha256(id)[:32]>/meta.json     {"id", "created", "last_used"}
    <root>/cachemounts/<sha256(id)[:32]>/<n>/          a copy of the cache (0, 1, 2, ...)
    <root>/cachemounts/<sha256(id)[:32]>/<n>.lock      flock(2) of users of copy <n>

Sharing modes, and why they look like this (BuildKit solver/llbsolver/mounts/mount.go,
`cacheRefGetter` and `cacheRefShare`):

- `shared` (the default): every user, in this build or another one, gets copy 0 at the
  same time. Package managers that lock their own cache (apt, go) are fine with that, and
  it is the fastest. Users take a *shared* flock on 0.lock: that does not keep anyone out,
  it only says "in use", which a locked user and `prune` respect.
- `locked`: one user at a time of copy 0; the next one waits. It is an *exclusive* flock
  on 0.lock, held for the whole step. flock locks belong to an open file, not a process,
  so two stages of one build (two threads, two opens) exclude each other just like two
  `pallet` processes do, and a killed build releases its lock with its last fd: nobody
  ever waits on a dead user.
- `private`: a user never waits and never shares. It takes the first copy nobody holds
  (a non-blocking exclusive flock on <n>.lock), and when every copy is busy it makes a new
  one, which stays for the next user: BuildKit likewise keeps one ref per concurrent user
  and hands a free one back out later. Copies are never merged; each one is a full cache.

A new copy is seeded from the mount's `from=` source when there is one (BuildKit mounts the
cache over the source snapshot), and its top directory gets `mode`/`uid`/`gid` (default
0755 root:root). Nothing here is ever part of a layer: the step's rootfs is an overlay on
the snapshot, and the cache dir is a bind mount on top of it, outside the upper dir.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from pallet.errors import StoreError
from pallet.state.locks import FileLock

DEFAULT_MODE = 0o755


@dataclass(frozen=True)
class CacheSpec:
    """What a step asks of a cache mount (a subset of graph.ops.ExecMount)."""

    id: str
    sharing: str = "shared"
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None


def namespace(cache_id: str) -> str:
    """The directory name of a cache id: a hash, so ids never collide or escape the root."""
    return hashlib.sha256(b"cachemount\x00" + cache_id.encode()).hexdigest()[:32]


class CacheMounts:
    def __init__(self, root_dir: str | os.PathLike[str]) -> None:
        self.root = Path(root_dir)

    @contextmanager
    def use(self, spec: CacheSpec, seed: Callable[[str], None] | None = None) -> Iterator[str]:
        """The host directory for one step's use of the cache; held until the block ends.

        `seed(dir)` fills a copy the first time it is made (the `from=` source).
        """
        base = self.root / namespace(spec.id)
        base.mkdir(parents=True, exist_ok=True)
        self._touch(base, spec.id)
        if spec.sharing == "private":
            lock, copy = self._free_copy(base)
        else:
            copy = base / "0"
            lock = FileLock(base / "0.lock", shared=spec.sharing != "locked").acquire()
        try:
            self._ensure(copy, spec, seed)
            yield str(copy)
        finally:
            lock.release()

    def _free_copy(self, base: Path) -> tuple[FileLock, Path]:
        n = 0
        while True:
            lock = FileLock(base / f"{n}.lock", timeout=0)
            try:
                lock.acquire()
            except StoreError:  # busy: timeout=0 gives up at once
                n += 1
                continue
            return lock, base / str(n)

    def _ensure(self, copy: Path, spec: CacheSpec, seed) -> None:
        """Make the copy once: build it beside, then rename, so a killed build leaves no half copy."""
        if copy.is_dir():
            return
        # shared users hold only a shared lock: the first to arrive makes the copy, alone
        with FileLock(copy.with_name(f"{copy.name}.create.lock")):
            if copy.is_dir():
                return
            tmp = copy.with_name(f"{copy.name}.new")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            if seed is not None:
                seed(str(tmp))
            os.chmod(tmp, DEFAULT_MODE if spec.mode is None else spec.mode)
            os.chown(tmp, spec.uid or 0, spec.gid or 0)
            os.rename(tmp, copy)

    def _touch(self, base: Path, cache_id: str) -> None:
        meta = base / "meta.json"
        now = time.time()
        try:
            info = json.loads(meta.read_text())
        except (OSError, ValueError):
            info = {"id": cache_id, "created": now}
        info["last_used"] = now
        tmp = base / f"meta.json.{os.getpid()}.{id(info)}"
        tmp.write_text(json.dumps(info, sort_keys=True))
        os.replace(tmp, meta)


@dataclass(frozen=True)
class CacheMountInfo:
    """One cache id as `du` and `prune` see it."""

    name: str  # the namespace directory
    id: str
    path: Path
    created: float
    last_used: float


def list_cache_mounts(root_dir: str | os.PathLike[str]) -> list[CacheMountInfo]:
    out = []
    root = Path(root_dir)
    if not root.is_dir():
        return out
    for entry in sorted(root.iterdir()):
        if not entry.is_dir():
            continue
        try:
            info = json.loads((entry / "meta.json").read_text())
        except (OSError, ValueError):
            info = {}
        mtime = entry.stat().st_mtime
        out.append(CacheMountInfo(entry.name, info.get("id", ""), entry,
                                  info.get("created", mtime), info.get("last_used", mtime)))
    return out


def is_in_use(info: CacheMountInfo) -> bool:
    """Whether any step holds a copy of this cache now (tries each lock without waiting)."""
    return any(FileLock.is_held(lock_path) for lock_path in info.path.glob("*.lock"))
