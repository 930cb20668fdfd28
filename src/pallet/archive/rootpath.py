"""Paths inside a root filesystem, resolved as the container would see them.

A symlink `/etc -> /usr/etc`, or `../../..`, never leads out to the host: the rules of
continuity's `fs.RootPath`, which BuildKit uses. Every part of pallet that touches an
image's files (layer extraction, WORKDIR, bind mounts, USER lookup) resolves through here.
"""

from __future__ import annotations

import os

from pallet.errors import UserError

MAX_SYMLINKS = 40


class SymlinkLoopError(UserError):
    """A path whose symlinks do not end."""


def resolve_in_root(root: str | os.PathLike[str], name: str, *, follow_last: bool = False) -> str:
    """The host path of `name` inside `root`, following symlinks as if `root` were `/`."""
    root = os.fspath(root)
    todo = [p for p in name.split("/") if p not in ("", ".")]
    done: list[str] = []
    hops = 0
    while todo:
        part = todo.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        host = os.path.join(root, *done, part)
        if (todo or follow_last) and os.path.islink(host):
            hops += 1
            if hops > MAX_SYMLINKS:
                raise SymlinkLoopError(f'too many levels of symbolic links resolving "{name}"')
            target = os.readlink(host)
            if target.startswith("/"):
                done = []
            todo = [p for p in target.split("/") if p not in ("", ".")] + todo
            continue
        done.append(part)
    return os.path.join(root, *done)
