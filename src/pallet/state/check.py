"""`pallet system check [--repair]`: what a killed build or a damaged disk left behind.

Found (and, with repair, fixed):
- runc containers and mounts under the root that no build owns: killed, unmounted;
- leftovers (`active-*` snapshots, stray snapshot dirs, ingest and tmp files): removed;
- cache records whose snapshot or blob is gone: deleted (the next build redoes the step);
- blobs whose bytes no longer hash to their name: deleted (a pull or build writes them
  again; an image that needs one says so instead of serving bad bytes).

Repair takes the gc lease without waiting: while a build runs its files are not orphans.
"""

from __future__ import annotations

from pallet.state.leases import builds_running, gc_lease


def check(root, *, repair: bool = False) -> list[str]:
    root.ensure()
    if repair:
        with gc_lease(root, wait=False):
            return _check(root, repair=True, building=False)
    return _check(root, repair=False, building=builds_running(root))


def _check(root, *, repair: bool, building: bool) -> list[str]:
    from pallet.state.prune import mounts_under, remove_leftovers, stale_containers
    from pallet.state.usage import load_inventory

    problems = []
    inv = None
    if not building:
        problems += [f"stale container {c}" for c in stale_containers(root)]
        problems += [f"stale mount {m}" for m in mounts_under(root.path)]
        inv = load_inventory(root, building=False)
        problems += [f"leftover {item.description}" for item in inv.leftovers()]
        if repair:
            remove_leftovers(root)
            inv = None  # read again: the leftovers are gone
    if inv is None:
        inv = load_inventory(root, building=building)
    problems += _broken_records(root, inv, repair)
    problems += _corrupt_blobs(root, inv, repair)
    return problems


def _broken_records(root, inv, repair: bool) -> list[str]:
    from pallet.state.db import connect, transaction

    broken = [key for key, record in inv.records.items()
              if any(layer["snapshot"] not in inv.snapshots or layer["digest"] not in inv.blobs
                     for layer in record["layers"])]
    if repair and broken:
        db = connect(root.db_path)
        try:
            with transaction(db):
                db.executemany("DELETE FROM cache WHERE key = ?", [(k,) for k in broken])
        finally:
            db.close()
    return [f"cache record {k} refers to a missing snapshot or blob" for k in broken]


def _corrupt_blobs(root, inv, repair: bool) -> list[str]:
    from pallet.image.digest import file_sha256_hex

    out = []
    for digest in inv.blobs:
        path = root.content_dir / "blobs" / "sha256" / digest.split(":", 1)[1]
        got = "sha256:" + file_sha256_hex(path)
        if got != digest:
            out.append(f"blob {digest} does not match its digest (got {got})")
            if repair:
                path.unlink(missing_ok=True)
    return out
