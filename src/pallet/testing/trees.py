"""Directory trees as plain data, for comparing what a copy or an image holds."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def tree_snapshot(root: Path, under: str = "") -> dict[str, tuple]:
    """rel path -> (type, mode, uid, gid, text or link target), like the goldens' fields."""
    out = {}
    for dirpath, dirs, files in os.walk(root / under):
        for name in dirs + files:
            path = Path(dirpath) / name
            st = os.lstat(path)
            rel = str(path.relative_to(root))
            mode = f"{stat.S_IMODE(st.st_mode):04o}"
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("symlink", None, st.st_uid, st.st_gid, os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", mode, st.st_uid, st.st_gid, None)
            else:
                out[rel] = ("file", mode, st.st_uid, st.st_gid, path.read_text())
    return out
