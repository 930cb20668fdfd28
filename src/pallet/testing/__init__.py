"""pallet's public test kit: fixtures that are valid by default.

- `busybox`: the busybox root filesystem of the BuildKit goldens, from busybox-static.
- `runtime`: what root-level tests need (root, runc, overlayfs, busybox) and a
  helper that skips, or fails under PALLET_REQUIRE_ALL=1, when something is missing.
"""

from pallet.testing.busybox import (
    busybox_rootfs,
    busybox_tar,
    commit_busybox,
    make_busybox_rootfs,
    write_rootfs_tar,
)
from pallet.testing.runtime import (
    free_port,
    missing_runtime,
    mounts_under,
    require_runtime,
    require_tool,
    require_tools,
    skip_or_fail,
    unmount_all_under,
)

__all__ = [
    "busybox_rootfs", "busybox_tar", "commit_busybox", "free_port", "make_busybox_rootfs", "missing_runtime",
    "mounts_under", "require_runtime", "require_tool", "require_tools", "skip_or_fail", "unmount_all_under",
    "write_rootfs_tar",
]
