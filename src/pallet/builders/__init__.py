"""Builder instances: buildx's `create/ls/use/inspect/rm/stop`, without a daemon.

A builder is a name, a driver and the platforms it was created for, kept in the state
root's `builders.json` (registry.py). What makes one builder different from another is its
build cache: each has its own cache records, step snapshots and cache mounts
(`StateRoot.for_builder`, state/root.py), while images and blobs stay shared by the root.
`default` is built in: always there, never stored, never removed.

    registry.py   the JSON store (a file lock around every read-modify-write)
    names.py      buildx's name rules and generated names
    select.py     which builder a command uses: --builder, BUILDX_BUILDER, `use`, default
    display.py    `ls` table and `inspect` text, as buildx prints them
    remove.py     `rm`: free the builder's cache (prune --all), then forget the name
"""

from pallet.builders.registry import Builder, BuilderError, Registry
from pallet.builders.select import builder_root, selected_name

__all__ = ["Builder", "BuilderError", "Registry", "builder_root", "selected_name"]
