"""`pallet exec`: another process in a running container (runc exec), and the
foreground `pallet run`, both attached to our terminal."""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass

from pallet.container.errors import CommandStartError, ContainerError, NotRunningError
from pallet.container.options import resolve_env, resolve_workdir
from pallet.container.record import Container
from pallet.container.signals import forwarding
from pallet.container.stdio import close_all, idle_stdin
from pallet.errors import PalletError


@dataclass(frozen=True)
class ExecOptions:
    args: tuple[str, ...]
    interactive: bool = False
    tty: bool = False
    env: tuple[str, ...] = ()
    workdir: str = ""
    user: str | None = None


def check_tty(interactive: bool, tty: bool) -> None:
    """docker refuses -it when stdin is not a terminal (cli/command/container/tty.go)."""
    if interactive and tty and not os.isatty(0):
        raise ContainerError("the input device is not a TTY",
                             hint="drop -t, or run it from a terminal")


def run_foreground(containers, c: Container) -> int:
    """Start `c` attached to our stdio; its exit code (docker run without -d)."""
    from pallet.container.supervise import Supervisor

    sup = Supervisor(containers, c, echo=True)
    if c.spec.stdin_open:
        stdin, keep_open = None, []  # None: runc reads ours (and, with -t, makes it raw)
    else:
        stdin, keep_open = idle_stdin(c.spec.tty, keep_open=False)
    try:
        with forwarding(sup.send_signal):
            return sup.run(stdin)
    finally:
        close_all(keep_open)


def exec_in(containers, c: Container, opts: ExecOptions) -> int:
    """Run `opts.args` in the running container `c`; the process's exit code."""
    if not c.is_running:
        raise NotRunningError(c.id)
    if not opts.args:
        raise ContainerError("exec needs a command", hint="pallet exec CONTAINER COMMAND [ARG...]")
    paths = containers.paths(c)
    process = _process(paths, c, opts)
    tag = secrets.token_hex(4)
    process_file, log = paths.dir / f"exec-{tag}.json", paths.dir / f"exec-{tag}.log"
    try:
        proc = containers.executor.exec_process(
            c.id, process, process_file, log=log,
            stdin=None if opts.interactive else subprocess.DEVNULL)
        with forwarding(proc.send_signal):
            code = proc.wait()
        _raise_start_error(log, code)
        return code
    finally:
        for f in (process_file, log):
            f.unlink(missing_ok=True)


def _process(paths, c: Container, opts: ExecOptions) -> dict:
    """process.json for runc exec: config.json's process block for these settings."""
    from pallet.container.options import RunOptions
    from pallet.executor.bundle import BundleSpec, ProcessSpec, make_config
    from pallet.executor.user import resolve_user_in_root

    workdir = resolve_workdir({"WorkingDir": c.spec.cwd}, opts.workdir)
    env_opts = RunOptions(image="", env=opts.env, tty=opts.tty)
    base = {"Env": [e for e in c.spec.env if not e.startswith("HOSTNAME=")]}
    env = resolve_env(base, env_opts, c.id[:12])
    user_text = c.spec.user if opts.user is None else opts.user
    try:
        user = resolve_user_in_root(paths.rootfs, user_text)
    except PalletError as e:  # "unable to find user ghost: ...": docker's 125, not the build's 1
        raise ContainerError(e.message) from None
    spec = ProcessSpec(opts.args, tuple(env), workdir, user_text, c.spec.network, tty=opts.tty)
    return make_config(BundleSpec(spec, str(paths.rootfs), "", "", user))["process"]


def _raise_start_error(log, code: int) -> None:
    from pallet.executor.runc import runc_log_error

    reason = runc_log_error(log).removeprefix("runc exec failed: ")
    if code != 0 and reason:
        raise CommandStartError(reason, prefix="OCI runtime exec failed")

