"""RUN --mount specs -> ExecMounts (dockerfile2llb/convert_runmount.go).

Each mount gets a source op: the stage/image/context of a bind or `from=` cache mount, and
Scratch for the rest, so `Exec.mount_sources` lines up with `Exec.mounts` by position.
"""

from __future__ import annotations

import posixpath

from pallet.errors import InstructionError
from pallet.graph.ops import ExecMount, Op, Scratch

DEFAULT_SSH_TARGET = "/run/buildkit/ssh_agent.0"  # an ssh mount without target=


def to_exec_mount(conv, state, inst, mount) -> tuple[ExecMount, Op]:
    from pallet.engine.dispatch import resolve_from

    kind = type(mount).__name__
    target = getattr(mount, "target", None) or ""
    if kind == "SshMount" and not target:
        target = DEFAULT_SSH_TARGET
    target = _target(state, inst, target) if target or kind != "SecretMount" else ""
    if kind == "BindMount":
        source = resolve_from(conv, state, inst, mount.from_)
        return ExecMount("bind", target, source_path=mount.source or "/",
                         readonly=mount.readonly), source
    if kind == "CacheMount":
        source = resolve_from(conv, state, inst, mount.from_) if mount.from_ else Scratch()
        return ExecMount("cache", target, source_path=mount.source or "/",
                         readonly=mount.readonly, cache_id=mount.id or target,
                         sharing=mount.sharing, mode=mount.mode, uid=mount.uid,
                         gid=mount.gid), source
    if kind == "TmpfsMount":
        return ExecMount("tmpfs", target, readonly=False, size=mount.size), Scratch()
    if kind == "SecretMount":
        return ExecMount("secret", target, secret_id=mount.id, env=mount.env or "",
                         required=mount.required, mode=mount.mode, uid=mount.uid,
                         gid=mount.gid), Scratch()
    if kind == "SshMount":
        return ExecMount("ssh", target, secret_id=mount.id, required=mount.required,
                         mode=mount.mode, uid=mount.uid, gid=mount.gid), Scratch()
    raise InstructionError(f"unsupported mount type {kind}", ranges=[inst.node.range])


def _target(state, inst, target: str) -> str:
    if not target:
        raise InstructionError("mount target is required", ranges=[inst.node.range],
                               hint="add target=/path to the --mount option")
    if not target.startswith("/"):  # relative targets are relative to WORKDIR
        target = posixpath.join(state.image.config.get("WorkingDir") or "/", target)
    target = "/" + posixpath.normpath(target).lstrip("/")
    if target == "/":
        raise InstructionError('invalid mount target "/"', ranges=[inst.node.range])
    return target
