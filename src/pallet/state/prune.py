"""`pallet builder prune`: free build cache that no tagged image needs.

Two passes, under the exclusive gc lease (state/leases.py, so no build is running):

1. leftovers of killed builds go first, whatever the flags: stale mounts under the root,
   `active-*`/`view-*`/`unpack-*` snapshots, snapshot dirs without metadata, ingest and
   tmp files. Nobody can be using them: a live build would hold its lease.
2. the filters (`until`, `keep_storage`) choose which *cache records and cache mounts* go;
   then `state.gc.mark` from tagged images and the records that stay decides which
   snapshots and blobs are still reachable, and the rest goes. Without --all, the records
   that made a tagged image's layers (and its unpacked base) are roots too: like buildx,
   plain `prune` only removes dangling cache.
3. files of the COPY file pool (snapshot/filepool.py) that no snapshot links any more.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from dataclasses import dataclass, field

from pallet.errors import StoreError
from pallet.state.leases import gc_lease
from pallet.state.usage import Inventory, Item, dir_size, load_inventory


@dataclass
class PruneReport:
    removed: list[Item] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(item.size for item in self.removed)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.removed:
            out[item.node[0]] = out.get(item.node[0], 0) + 1
        return out


def prune(root, *, all: bool = False, until: float | None = None,
          keep_storage: int | None = None, stderr=None) -> PruneReport:
    report = PruneReport()
    with gc_lease(root, stderr=stderr):
        report.removed += remove_leftovers(root)
        inv = load_inventory(root, building=False)
        cutoff = None if until is None else time.time() - until
        doomed = _choose(inv, all, cutoff, keep_storage)
        report.removed += _remove_records(root, inv, doomed)
        report.removed += _sweep(root, inv, all, cutoff, doomed)
        report.removed += _sweep_file_pool(root)
    return report


def _sweep_file_pool(root) -> list[Item]:
    """Shared COPY files (snapshot/filepool.py) no snapshot links any more."""
    from pallet.snapshot.filepool import sweep

    count, size = sweep(root.file_pool_dir)
    if not count:
        return []
    return [Item(("files", str(root.file_pool_dir)), "shared-files", "internal", size, None,
                 description=f"{count} COPY files no snapshot uses")]


def _choose(inv: Inventory, all: bool, cutoff, keep_storage) -> set[tuple]:
    """The cache records and cache mounts to remove."""
    protected = inv.mark(keep_build_cache=not all)
    rows = {item.node: item for item in inv.items()}
    candidates = [("cache", key) for key in inv.records if ("cache", key) not in protected]
    candidates += [item.node for item in rows.values()
                   if item.node[0] == "cachemount" and not item.in_use]
    last_used = {("cache", k): r["last_used"] for k, r in inv.records.items()}
    last_used |= {n: i.last_used for n, i in rows.items()}
    if cutoff is not None:
        candidates = [n for n in candidates if (last_used.get(n) or 0) < cutoff]
    if keep_storage is None:
        return set(candidates)
    return _over_budget(inv, rows, candidates, last_used, keep_storage)


def _over_budget(inv, rows, candidates, last_used, keep_storage) -> set[tuple]:
    """Oldest first, until what stays fits in `keep_storage` bytes."""
    total = sum(item.size for item in rows.values())
    doomed = set()
    for node in sorted(candidates, key=lambda n: last_used.get(n) or 0):
        if total <= keep_storage:
            break
        doomed.add(node)
        total -= _own_size(inv, rows, node)
    return doomed


def _own_size(inv, rows, node) -> int:
    if node[0] == "cachemount":
        return rows[node].size
    layers = inv.records[node[1]]["layers"]
    top = ("snapshot", layers[-1]["snapshot"]) if layers else None
    return rows[top].size if top in rows else 0


def _remove_records(root, inv: Inventory, doomed: set[tuple]) -> list[Item]:
    from pallet.state.db import connect, transaction

    removed = []
    keys = [n[1] for n in doomed if n[0] == "cache"]
    if keys:
        db = connect(root.cache_db_path)
        try:
            with transaction(db):
                db.executemany("DELETE FROM cache WHERE key = ?", [(k,) for k in keys])
        except sqlite3.Error as e:
            raise StoreError(f"cannot remove cache records: {e}") from e
        finally:
            db.close()
        removed += [Item(("cache", k), k.split(":")[-1][:25], "regular", 0,
                         inv.records[k]["last_used"]) for k in keys]
    for cm in inv.cache_mounts:
        if ("cachemount", cm.name) in doomed:
            size = dir_size(cm.path)
            shutil.rmtree(cm.path, ignore_errors=True)
            removed.append(Item(("cachemount", cm.name), cm.name[:25], "exec.cachemount",
                                size, cm.last_used, description=cm.id))
    return removed


def _sweep(root, inv: Inventory, all: bool, cutoff, doomed) -> list[Item]:
    """Snapshots and blobs nothing kept reaches any more (children before parents)."""
    from pallet.content.local import LocalContentStore
    from pallet.snapshot.overlay import OverlaySnapshotter

    kept = [("cache", k) for k in inv.records if ("cache", k) not in doomed]
    black = inv.mark(keep_build_cache=not all, extra_roots=kept)
    rows = [i for i in inv.items() if i.node[0] in ("snapshot", "blob") and i.node not in black]
    if cutoff is not None:
        rows = [i for i in rows if (i.last_used or 0) < cutoff]
    depth = {name: len(info["chain"]) for name, info in inv.snapshots.items()}
    rows.sort(key=lambda i: -depth.get(i.node[1], 0))
    snapshots = OverlaySnapshotter(root.snapshots_dir)
    blobs = LocalContentStore(root.content_dir)
    removed = []
    for item in rows:
        try:
            if item.node[0] == "snapshot":
                snapshots.remove(item.node[1])
            else:
                blobs.delete_blob(item.node[1])
        except StoreError:  # a kept child still stands on it, or it is gone already
            continue
        removed.append(item)
    return removed


def remove_leftovers(root) -> list[Item]:
    """Unmount and delete what killed builds left. Call with the gc lease held."""
    from pallet.snapshot.overlay import OverlaySnapshotter

    unmount_stale(root)
    inv = load_inventory(root, building=False)
    snapshots = OverlaySnapshotter(root.snapshots_dir)
    still_mounted = mounts_under(root.path)
    removed = []
    for item in inv.leftovers():
        if any(_inside(p, item.node[1]) for p in still_mounted):
            continue  # never rmtree through a mount: it would delete a snapshot's files
        if item.node[0] == "active":
            snapshots.remove(item.node[1])
        else:
            _remove_path(item.node[1])
        removed.append(item)
    return removed


def unmount_stale(root) -> list[str]:
    """Mounts under the root that no live build owns (deepest first); runc containers
    whose bundle is there are killed first."""
    from pallet.snapshot.mount import unmount

    kill_stale_containers(root)
    points = mounts_under(root.path)
    for point in points:
        try:
            unmount(point)
        except StoreError:
            pass
    return points


def mounts_under(path) -> list[str]:
    """Mount points at or below `path`, deepest first."""
    import os

    from pallet.snapshot.mount import mount_points

    prefix = os.path.realpath(path)
    inside = {p for p in mount_points() if _inside(p, prefix)}
    return sorted(inside, key=len, reverse=True)


def _inside(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def stale_containers(root) -> list[str]:
    """Ids of runc containers (pallet's runc state dir) whose bundle is under the root."""
    import json
    import subprocess

    from pallet.executor.runc import DEFAULT_STATE_DIR

    if not shutil.which("runc"):
        return []
    proc = subprocess.run(["runc", "--root", DEFAULT_STATE_DIR, "list", "--format", "json"],
                          capture_output=True, text=True)
    try:
        listed = json.loads(proc.stdout or "null") or []
    except ValueError:
        return []
    prefix = str(root.path) + "/"
    return [c["id"] for c in listed if str(c.get("bundle", "")).startswith(prefix)]


def kill_stale_containers(root) -> list[str]:
    import subprocess

    from pallet.executor.runc import DEFAULT_STATE_DIR

    ids = stale_containers(root)
    for cid in ids:
        subprocess.run(["runc", "--root", DEFAULT_STATE_DIR, "delete", "--force", cid],
                       capture_output=True)
    return ids


def _remove_path(path: str) -> None:
    import os

    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass
