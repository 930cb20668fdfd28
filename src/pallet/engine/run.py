"""Executing an Exec op: RUN in a runc container over the active snapshot, with its mounts
(BuildKit llbsolver/ops/exec.go and mounts/mount.go).

Each `--mount` becomes a runtime-spec mount on top of the rootfs, so nothing written under
its target lands in the step's upper dir (its layer):

    bind    the context (a scratch copy when rw: writes are discarded) or a stage/image
            mounted as a throw-away snapshot
    cache   a persistent dir from `CacheMounts` (engine/cachemounts.py: sharing modes)
    tmpfs   a fresh tmpfs, `size=` bytes
    secret  a 0400 file on /dev/shm (outside the state root) and/or an env var whose value
            exists only in the runtime's config.json, itself in a tmpfs bundle dir
    ssh     the client's agent socket ($SSH_AUTH_SOCK or --ssh id=PATH), with SSH_AUTH_SOCK
            set for the step
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field

from pallet.engine.mounts import DEFAULT_SSH_TARGET
from pallet.errors import BuildError, RunFailedError


@dataclass
class _StepMounts:
    """What the mounts add to the process: runtime mounts, and env vars (secrets, ssh)."""

    mounts: list = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    has_secret_env: bool = False


def run_exec(worker, op, inputs, rootfs_mounts, progress, vertex) -> None:
    from pallet.executor.bundle import ProcessSpec

    with ExitStack() as stack:
        step = _StepMounts()
        for i, mount in enumerate(op.mounts):
            _add_mount(worker, stack, step, mount, inputs[1 + i])
        process = ProcessSpec(
            args=op.args, env=_with_env(op.env, step.env), cwd=op.cwd, user=op.user,
            network="none" if op.network == "none" else "host",
            mounts=tuple(step.mounts), privileged=op.security == "insecure",
        )

        def on_output(stream, line: bytes) -> None:
            if vertex is not None:
                progress.log(vertex, line.decode("utf-8", "replace").rstrip("\r\n"))

        code = _executor(worker, step).run(process, rootfs_mounts, on_output=on_output)
    if code != 0:
        err = RunFailedError(" ".join(op.args), code)
        err.hint = "the output of the step is above; run with --progress=plain to see all of it"
        raise err


def _executor(worker, step: _StepMounts):
    """The runtime's bundle (config.json holds the env) goes on tmpfs when a secret is in
    the env: a secret's bytes never touch the state root, not even for the step's life."""
    if not step.has_secret_env or _secret_dir() is None:
        return worker.executor
    import copy

    executor = copy.copy(worker.executor)
    executor.work_dir = _secret_dir()
    return executor


def _with_env(env: tuple[str, ...], extra: dict[str, str]) -> tuple[str, ...]:
    """The op's env plus the mounts' vars; an explicit ENV of the same name wins (BuildKit)."""
    names = {e.partition("=")[0] for e in env}
    return (*env, *(f"{k}={v}" for k, v in extra.items() if k not in names))


def _add_mount(worker, stack: ExitStack, step: _StepMounts, mount, source) -> None:
    from pallet.executor.bundle import bind_mount, tmpfs_mount

    if mount.type == "bind":
        path = _bind_source(worker, stack, mount, source)
        step.mounts.append(bind_mount(path, mount.target, readonly=mount.readonly))
    elif mount.type == "cache":
        path = _cache_dir(worker, stack, mount, source)
        step.mounts.append(bind_mount(path, mount.target, readonly=mount.readonly))
    elif mount.type == "tmpfs":
        step.mounts.append(tmpfs_mount(mount.target, mount.size))
    elif mount.type == "secret":
        _secret(worker, stack, step, mount)
    elif mount.type == "ssh":
        _ssh(worker, step, mount)
    else:
        raise BuildError(f"unsupported mount type {mount.type}")


# -- bind -------------------------------------------------------------------------------
def _bind_source(worker, stack: ExitStack, mount, source) -> str:
    """The host path to bind: inside the context, or inside a stage's filesystem."""
    from pallet.archive.rootpath import resolve_in_root

    root = source.context_path or _view(worker, stack, source)
    path = resolve_in_root(root, mount.source_path or "/", follow_last=True)
    if not os.path.exists(path):
        raise BuildError(f'failed to mount {mount.target}: "{mount.source_path}": not found',
                         hint="the bind mount source must exist in the context or stage")
    if source.context_path and not mount.readonly:
        path = _scratch_copy(worker, stack, path)  # rw: writes are discarded (BuildKit)
    return path


def _view(worker, stack: ExitStack, source) -> str:
    """Mount a result's layers on a temp dir for the duration of the step.

    An active snapshot, not a view, so a rw bind can write (into a diff nobody keeps).
    """
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
    tmp = tempfile.mkdtemp(prefix="pallet-bind-", dir=worker.root.tmp_dir)
    stack.callback(shutil.rmtree, tmp, True)
    dest = os.path.join(tmp, "src")
    if os.path.isdir(path):
        shutil.copytree(path, dest, symlinks=True)
    else:
        shutil.copy2(path, dest)
    return dest


# -- cache ------------------------------------------------------------------------------
def _cache_dir(worker, stack: ExitStack, mount, source) -> str:
    """The persistent directory of a cache mount (kept per state root, never in a layer)."""
    from pallet.engine.cachemounts import CacheMounts, CacheSpec

    spec = CacheSpec(mount.cache_id, mount.sharing, mount.mode, mount.uid, mount.gid)
    seeded = bool(source.layers or source.context_path)
    seed = (lambda dest: _seed(worker, mount, source, dest)) if seeded else None
    return stack.enter_context(CacheMounts(worker.root.cache_mounts_dir).use(spec, seed))


def _seed(worker, mount, source, dest: str) -> None:
    """First use of a cache with `from=`: start from the source's `source=` path."""
    with ExitStack() as stack:
        path = _bind_source(worker, stack, _readonly(mount), source)
        if os.path.isdir(path):
            shutil.copytree(path, dest, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(path, os.path.join(dest, os.path.basename(path)))


def _readonly(mount):
    from dataclasses import replace

    return replace(mount, readonly=True)


# -- secrets and ssh --------------------------------------------------------------------
def _secret(worker, stack: ExitStack, step: _StepMounts, mount) -> None:
    from pallet.executor.bundle import bind_mount

    provider = worker.secrets
    data = provider.get(mount.secret_id) if provider else None
    if data is None:
        if mount.required:
            raise BuildError(f"secret {mount.secret_id} not found",
                             hint=f"pass --secret id={mount.secret_id},src=FILE "
                                  f"(or env=VAR) to pallet build")
        return
    if mount.env:
        # the value goes only to the process env (config.json in a bundle on tmpfs, see
        # `_executor`); never to the op, its cache key, the history or the log
        step.env[mount.env] = data.decode("utf-8", "surrogateescape")
        step.has_secret_env = True
    if not mount.target:
        return
    tmp = tempfile.mkdtemp(prefix="pallet-secret-", dir=_secret_dir())
    stack.callback(shutil.rmtree, tmp, True)
    path = os.path.join(tmp, "secret")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mount.mode if mount.mode is not None else 0o400)
    os.chown(path, mount.uid or 0, mount.gid or 0)
    step.mounts.append(bind_mount(path, posixpath.normpath(mount.target), readonly=True))


def _secret_dir() -> str | None:
    """tmpfs, so a secret's bytes never reach a disk (and never the state root)."""
    return "/dev/shm" if os.path.isdir("/dev/shm") else None


def _ssh(worker, step: _StepMounts, mount) -> None:
    from pallet.executor.bundle import bind_mount

    agents = getattr(worker, "ssh", None)
    socket = agents.get(mount.secret_id) if agents else None
    if socket is None:
        if mount.required:
            raise BuildError(f'no SSH key "{mount.secret_id}" forwarded from the client',
                             hint="pass --ssh default (or --ssh ID=SOCKET) to pallet build")
        return
    target = mount.target or DEFAULT_SSH_TARGET
    step.mounts.append(bind_mount(socket, target, readonly=False))
    # llb/exec.go: the first ssh mount sets SSH_AUTH_SOCK unless the step has one
    step.env.setdefault("SSH_AUTH_SOCK", target)
