"""`builder rm`: forget a builder and free its build cache.

The cache goes first, through `prune --all` on the builder's root (under the gc lease, so no
build is running and stale mounts are gone): that frees the blobs only this builder's cache
used, which a plain rmtree of its directory would leave in the shared content store. Then
the directory goes, then the name. A builder whose cache removal fails keeps its name, so
`rm` can be run again.
"""

from __future__ import annotations

import shutil

from pallet.builders.registry import BuilderError, Registry
from pallet.state.root import StateRoot


def remove_builder(root: StateRoot, name: str, *, keep_state: bool = False) -> None:
    registry = Registry(root)
    builder = registry.get(name)
    if builder.is_default:
        raise BuilderError("default builder cannot be removed",
                           hint="pallet builder prune --all empties its cache")
    if not keep_state:
        remove_cache(root.for_builder(builder.name))
    registry.remove(builder.name)


def remove_cache(broot: StateRoot) -> None:
    from pallet.state.leases import gc_lease
    from pallet.state.prune import prune

    if not broot.builder_dir.exists():
        return  # never built: nothing to free
    prune(broot, all=True)
    with gc_lease(broot):  # the same lease prune took: no build starts while the dir goes
        shutil.rmtree(broot.builder_dir)
