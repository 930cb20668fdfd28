"""Executing Copy and Mkdir ops on a mounted active snapshot."""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path

from pallet.errors import BuildError


@contextmanager
def _mounted(worker, mounts):
    from pallet.snapshot.mount import mounted

    target = tempfile.mkdtemp(prefix="pallet-rootfs-", dir=worker.root.tmp_dir)
    try:
        with mounted(mounts, target):
            yield Path(target)
    finally:
        os.rmdir(target)


def run_copy(worker, op, source, mounts, upper: Path) -> None:
    """COPY/ADD: files from the context or another result into the mounted destination
    (a lone context dir is written into the `upper` dir after unmounting: copy.DeferredTree)."""
    from pallet.engine.copy import copy_into
    from pallet.engine.run import _view

    with ExitStack() as stack:
        dest = stack.enter_context(_mounted(worker, mounts))
        if source.context_path:
            src_root, from_context = Path(source.context_path), True
        elif source.layers:
            src_root, from_context = Path(_view(worker, stack, source)), False
        else:  # scratch, or heredoc-only sources
            src_root, from_context = None, False
        deferred = copy_into(dest, op.spec, source_root=src_root, from_context=from_context,
                             matcher=worker.context_matcher if from_context else None,
                             pool=worker.file_pool if from_context else None)
    if deferred is not None:
        deferred.write(upper)


def run_mkdir(worker, op, mounts) -> None:
    """WORKDIR: make the directory (and its parents), owned by the stage's USER."""
    from pallet.archive.rootpath import resolve_in_root

    with _mounted(worker, mounts) as root:
        if not os.path.isdir(resolve_in_root(str(root), op.path, follow_last=True)):
            try:
                _makedirs(root, op.path, _owner(root, op.user))
            except OSError as err:  # e.g. a file where a directory should be
                raise BuildError(f"mkdir {op.path}: {(err.strerror or str(err)).lower()}",
                                 hint="a path component of the WORKDIR exists and is not a "
                                      "directory") from None


def _owner(root: Path, user: str):
    """WORKDIR dirs belong to the USER; an unknown user still builds (BuildKit 0.8)."""
    from pallet.executor.user import UserLookupError, resolve_user_in_root

    if not user:
        return None
    try:
        return resolve_user_in_root(root, user)
    except UserLookupError:
        return None


def _makedirs(root: Path, path: str, user) -> None:
    from pallet.archive.rootpath import resolve_in_root

    parts = [p for p in path.split("/") if p]
    current = "/"
    for part in parts:
        current = current.rstrip("/") + "/" + part
        host = resolve_in_root(str(root), current, follow_last=True)
        if not os.path.lexists(host):
            os.mkdir(host, 0o755)
            if user is not None:
                os.chown(host, user.uid, user.gid)
