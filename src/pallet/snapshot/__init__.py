"""Snapshots: layer directories stacked with overlayfs, handed out as mounts (data)."""

from pallet.snapshot.base import Mount, Snapshotter
from pallet.snapshot.overlay import OverlaySnapshotter

__all__ = ["Mount", "OverlaySnapshotter", "Snapshotter"]
