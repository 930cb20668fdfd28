"""Executing an Exec op: RUN in a runc container over the active snapshot, with its mounts
(BuildKit llbsolver/ops/exec.go and mounts/mount.go)."""

from __future__ import annotations

import hashlib
import os
import posixpath
import tempfile
from contextlib import ExitStack
from pathlib import Path

from pallet.errors import BuildError, RunFailedError


def run_exec(worker, op, inputs, rootfs_mounts, progress, vertex) -> None:
    from pallet.executor.bundle import ProcessSpec

    with ExitStack() as stack:
        spec_mounts = [
            _spec_mount(worker, stack, mount, inputs[1 + i])
            for i, mount in enumerate(op.mounts)
        ]
        spec_mounts = [m for m in spec_mounts if m is not None]
        process = ProcessSpec(
            args=op.args, env=op.env, cwd=op.cwd, user=op.user,
            network="none" if op.network == "none" else "host",
            mounts=tuple(spec_mounts),
        )

        def on_output(stream, line: bytes) -> None:
            if vertex is not None:
                progress.log(vertex, line.decode("utf-8", "replace").rstrip("\r\n"))

        code = worker.executor.run(process, rootfs_mounts, on_output=on_output)
    if code != 0:
        err = RunFailedError(" ".join(op.args), code)
        err.hint = "the output of the step is above; run with --progress=plain to see all of it"
        raise err


def _spec_mount(worker, stack: ExitStack, mount, source):
    from pallet.executor.bundle import bind_mount, tmpfs_mount

    if mount.type == "bind":
        return bind_mount(_bind_source(worker, stack, mount, source), mount.target,
                          readonly=mount.readonly)
    if mount.type == "cache":
        return bind_mount(_cache_dir(worker, stack, mount), mount.target, readonly=mount.readonly)
    if mount.type == "tmpfs":
        return tmpfs_mount(mount.target, mount.size)
    if mount.type == "secret":
        return _secret(worker, stack, mount)
    if mount.type == "ssh":
        if mount.required:
            raise BuildError(f'no SSH key "{mount.secret_id}" forwarded from the client',
                             hint="pass --ssh default (or --ssh ID=SOCKET) to pallet build")
        return None
    raise BuildError(f"unsupported mount type {mount.type}")


def _bind_source(worker, stack: ExitStack, mount, source) -> str:
    """The host path to bind: inside the context, or inside a stage's filesystem."""
    from pallet.archive.tarreader import resolve_in_root

    if source.context_path:
        root = source.context_path
    else:
        root = _view(worker, stack, source)  # an active snapshot: rw writes are dropped
    path = resolve_in_root(root, mount.source_path or "/", follow_last=True)
    if not os.path.exists(path):
        raise BuildError(f'failed to mount {mount.target}: "{mount.source_path}": not found',
                         hint="the bind mount source must exist in the context or stage")
    if source.context_path and not mount.readonly:
        path = _scratch_copy(worker, stack, path)  # rw: writes are discarded (BuildKit)
    return path


def _view(worker, stack: ExitStack, source) -> str:
    """Mount a result's layers on a temp dir for the duration of the step."""
    import secrets

    from pallet.snapshot.mount import mounted

    key = f"view-{secrets.token_hex(8)}"
    parents = [source.layers[-1].snapshot] if source.layers else []
    mounts = worker.snapshots.prepare(key, parents)
    stack.callback(worker.snapshots.remove, key)
    target = tempfile.mkdtemp(prefix="pallet-view-", dir=worker.root.tmp_dir)
    stack.callback(os.rmdir, target)
    stack.enter_context(mounted(mounts, target))
    return target


def _scratch_copy(worker, stack: ExitStack, path: str) -> str:
    import shutil

    tmp = tempfile.mkdtemp(prefix="pallet-bind-", dir=worker.root.tmp_dir)
    stack.callback(shutil.rmtree, tmp, True)
    dest = os.path.join(tmp, "src")
    if os.path.isdir(path):
        shutil.copytree(path, dest, symlinks=True)
    else:
        shutil.copy2(path, dest)
    return dest


def _cache_dir(worker, stack: ExitStack, mount) -> str:
    """The persistent directory of a cache mount (kept per builder, never in a layer)."""
    from pallet.state.locks import FileLock

    name = hashlib.sha256(mount.cache_id.encode()).hexdigest()[:32]
    path = Path(worker.root.cache_mounts_dir) / name
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, mount.mode if mount.mode is not None else 0o755)
        os.chown(path, mount.uid or 0, mount.gid or 0)
    if mount.sharing == "locked":  # one user at a time, across processes too
        stack.enter_context(FileLock(worker.root.lock_path(f"cache-{name}")))
    return str(path)


def _secret(worker, stack: ExitStack, mount):
    from pallet.executor.bundle import bind_mount

    provider = worker.secrets
    data = provider.get(mount.secret_id) if provider else None
    if data is None:
        if mount.required:
            raise BuildError(f'secret {mount.secret_id} not found',
                             hint=f"pass --secret id={mount.secret_id},src=FILE to pallet build")
        return None
    if not mount.target:
        return None
    # a tmpfs-backed file outside the state root, removed after the step
    tmp = tempfile.mkdtemp(prefix="pallet-secret-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    stack.callback(_remove_tree, tmp)
    path = os.path.join(tmp, "secret")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mount.mode if mount.mode is not None else 0o400)
    os.chown(path, mount.uid or 0, mount.gid or 0)
    return bind_mount(path, posixpath.normpath(mount.target), readonly=True)


def _remove_tree(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
