"""The Snapshotter role: filesystem trees stacked as layers, handed out as mounts.

The model and its words are containerd's (`core/snapshots/snapshotter.go`):

- A **committed** snapshot is read-only and known by its **name** (for an image
  layer, usually its chain id or diff id). It holds only its own diff; its
  **parents** supply everything below it.
- An **active** snapshot is writable and known by its **key**. It is made by
  `prepare(key, parents)`: a fresh, empty upper directory stacked over the
  committed parents. What a process writes through its mounts lands in the upper
  directory, so the upper directory *is* the diff (with overlayfs whiteouts for
  deletions: 0:0 character devices, and `trusted.overlay.opaque=y` on directories
  that replaced a lower one).
- A **view** is an active snapshot that is read-only: `view(key, parents)`.
  It is never committed, only removed.
- `commit(name, key)` turns the active snapshot `key` into the committed snapshot
  `name`; the key is gone afterwards. The mounts of `key` must be unmounted first.
- `remove(key_or_name)` drops an active snapshot, or a committed one that no other
  snapshot stands on.

Parents are given lowest first, the order in which an image's layers apply. Each
committed name stands for its whole chain: preparing over `["L2"]` stacks `L2`
over `L1` when `L2` was committed from a snapshot prepared over `["L1"]`. More
than one name stacks their chains in that order (a merge).

Nothing here mounts anything. `prepare`, `view` and `mounts` return `Mount`
values (plans as data); `pallet.snapshot.mount` is the one place that mounts them.

Importing a layer::

    mounts = sn.prepare("extract-1", parents=[])         # empty upper dir
    extract_layer(tar, sn.upper_dir("extract-1"))        # apply the diff directly
    sn.commit("sha256:<chain-id-1>", "extract-1")

Importing the next layer is the same with `parents=["sha256:<chain-id-1>"]`.

Running a RUN step::

    mounts = sn.prepare("run-7", parents=["sha256:<chain-id-2>"])
    with mounted(mounts, rootfs):                        # or let RuncExecutor do it
        ...run the container...
    write_layer(sn.upper_dir("run-7"))                   # the step's diff
    sn.commit("sha256:<new-chain-id>", "run-7")          # or sn.remove("run-7")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Mount:
    """One mount(2) call as data, shaped like containerd's `mount.Mount`.

    `options` mixes flags (`ro`, `bind`, `nosuid`, ...) and filesystem data
    (`lowerdir=...`); `pallet.snapshot.mount` splits them.
    """

    type: str
    source: str
    options: tuple[str, ...] = ()


class Snapshotter(Protocol):
    """Stacks committed snapshots under writable ones; see the module docstring."""

    def prepare(self, key: str, parents: list[str]) -> list[Mount]:
        """Make the active snapshot `key` over `parents`; return how to mount it."""
        ...

    def view(self, key: str, parents: list[str]) -> list[Mount]:
        """Make the read-only active snapshot `key` over `parents`."""
        ...

    def mounts(self, key: str) -> list[Mount]:
        """The mounts of an existing active snapshot (again)."""
        ...

    def upper_dir(self, key: str) -> Path:
        """Where the active snapshot's own changes are: its diff."""
        ...

    def commit(self, name: str, key: str) -> None:
        """Turn the active snapshot `key` into the committed snapshot `name`."""
        ...

    def remove(self, key: str) -> None:
        """Drop an active snapshot or a committed one without children."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an active or committed snapshot has this key or name."""
        ...
