"""Leases: who may delete what, while builds run.

A build holds a *shared* flock on `<root>/locks/gc.lock` from its first snapshot to its
last cache record and image name; garbage collection (`builder prune`, `system check
--repair`) takes it *exclusively*. So prune never removes what a running build has made or
is about to reuse (an `active-*` snapshot, an ingest file, a cache record it just looked
up), and everything prune does see while holding the lock belongs to nobody: leftovers of
builds that were killed (flock dies with its process, so a SIGKILLed build never holds it).

Builds do not wait for each other (shared), only for a prune that is running.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

from pallet.errors import StoreError
from pallet.state.locks import FileLock

GC_LOCK = "gc"


@contextmanager
def build_lease(root) -> Iterator[None]:
    with FileLock(root.lock_path(GC_LOCK), shared=True):
        yield


@contextmanager
def gc_lease(root, *, wait: bool = True, stderr=None) -> Iterator[None]:
    """Exclusive: no build runs meanwhile. Says why when it has to wait for one."""
    lock = FileLock(root.lock_path(GC_LOCK), timeout=0)
    try:
        lock.acquire()
    except StoreError:
        if not wait:
            raise StoreError("a build is running on this state root",
                             hint="wait for it to finish, or run without --repair") from None
        print("waiting for running builds to finish...", file=stderr or sys.stderr)
        lock = FileLock(root.lock_path(GC_LOCK)).acquire()
    try:
        yield
    finally:
        lock.release()


def builds_running(root) -> bool:
    return FileLock.is_held(root.lock_path(GC_LOCK))
