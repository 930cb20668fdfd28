"""OCI whiteouts and overlayfs whiteouts: the two spellings of "deleted here".

OCI image-spec layer.md: a file `.wh.NAME` in a layer deletes NAME from the layers below, and
`.wh..wh..opq` in a directory hides everything lower layers put in it. overlayfs
(Documentation/filesystems/overlayfs.rst) writes the same facts into an upper dir as a 0:0
character device named NAME, and as the xattr `trusted.overlay.opaque=y` on the directory.
The tar writer turns the overlay form into the OCI form; the tar reader does the reverse.
"""

from __future__ import annotations

import os
import stat

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"
# overlayfs' own bookkeeping, never part of an image (overlayfs.rst: "trusted.overlay.*").
OVERLAY_XATTR_PREFIX = "trusted.overlay."


def is_overlay_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def is_opaque_dir(path: str) -> bool:
    try:
        return os.getxattr(path, OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError:
        return False


def whiteout_name(name: str) -> str:
    return WHITEOUT_PREFIX + name


def whited_out(basename: str) -> str | None:
    """`foo` for `.wh.foo`; None for other names and for the opaque marker."""
    if basename == OPAQUE_MARKER or not basename.startswith(WHITEOUT_PREFIX):
        return None
    return basename[len(WHITEOUT_PREFIX) :]
