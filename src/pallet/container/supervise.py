"""The supervisor: the process that waits for one container from start to end.

It mounts the writable layer, runs `runc run` (which stays the parent of the
container's init, proxies a tty and returns its exit code), copies the output into
the json-file log (and, in the foreground, to our stdout/stderr), records the exit
code, unmounts, and removes the container when it was started with --rm.

In the foreground, `pallet run` itself is the supervisor. For `pallet run -d` it is
`python -m pallet.container.supervise ID FD`, double-forked so that it belongs to
no terminal and no parent waits for it (docker's containerd-shim, in miniature). It
reports on FD, one JSON line, whether the container started, then closes it.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from typing import Callable

from pallet.container.errors import EXIT_PALLET, CommandStartError, ContainerError
from pallet.container.logfile import LogWriter
from pallet.container.record import CREATED, EXITED, RUNNING, Container
from pallet.container.stdio import close_all, idle_stdin
from pallet.errors import PalletError

POLL_SECONDS = 0.02


class Supervisor:
    """Runs one created container to its end; see the module docstring."""

    def __init__(self, containers, c: Container, *, echo: bool) -> None:
        self.containers = containers
        self.c = c
        self.paths = containers.paths(c)
        self.echo = echo
        self.proc: subprocess.Popen | None = None
        self.started = False
        # Output read before we know the process started: if it never does, that was
        # runc's own error message, which we report ourselves (docker shows it once).
        self._held: list[tuple[str, bytes]] = []

    def send_signal(self, signum: int) -> None:
        """Hand a signal to runc, which passes it on to the container's process."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signum)

    def run(self, stdin, on_started: Callable[[], None] = lambda: None) -> int:
        """The container's exit code; CommandStartError if its command could not start."""
        from pallet.snapshot.mount import mounted

        code = EXIT_PALLET
        try:
            mounts = self.containers.snapshots.mounts(self.paths.snapshot_key)
            with mounted(mounts, self.paths.rootfs):
                code = self._run_mounted(stdin, on_started)
            if not self.started:
                raise self._start_error(code)
            return code
        except PalletError as e:
            if not isinstance(e, ContainerError):
                e.exit_code = EXIT_PALLET  # docker: 125 when it was not the command's doing
            code = e.exit_code
            raise
        finally:
            self._finish(code)

    def _run_mounted(self, stdin, on_started: Callable[[], None]) -> int:
        self.containers.executor.write_container_bundle(self.paths.bundle, self.process())
        out = subprocess.PIPE
        self.proc = self.containers.executor.launch(
            self.paths.bundle, self.c.id, stdin=stdin, stdout=out, stderr=out,
            pid_file=self.paths.pid_file, log=self.paths.runc_log)
        try:
            self._pump(on_started)
            return self.proc.wait()
        except BaseException:
            self.containers.executor.kill(self.c.id, "KILL")
            self.proc.wait()
            raise

    def process(self):
        from pallet.executor.bundle import ProcessSpec, bind_mount

        s = self.c.spec
        mounts = tuple(bind_mount(host, dest, ro) for host, dest, ro in s.volumes)
        return ProcessSpec(tuple(s.args), tuple(s.env), s.cwd, s.user, s.network,
                           hostname=self.c.id[:12], mounts=mounts, tty=s.tty)

    def _pump(self, on_started: Callable[[], None]) -> None:
        """Copy output to the log (and our stdio) as it comes, noticing the start."""
        self._log = LogWriter(self.paths.log)
        sel = selectors.DefaultSelector()
        for stream, pipe in (("stdout", self.proc.stdout), ("stderr", self.proc.stderr)):
            sel.register(pipe, selectors.EVENT_READ, stream)
        try:
            while sel.get_map():
                for key, _ in sel.select(None if self.started else POLL_SECONDS):
                    self._read(sel, key)
                self._notice_start(on_started)
            self._notice_start(on_started)
        finally:
            sel.close()
            self._log.close()

    def _read(self, sel, key) -> None:
        chunk = os.read(key.fd, 65536)
        if not chunk:
            sel.unregister(key.fileobj)
            key.fileobj.close()
        elif self.started:
            self._copy(key.data, chunk)
        else:
            self._held.append((key.data, chunk))

    def _copy(self, stream: str, chunk: bytes) -> None:
        self._log.write(stream, chunk)
        if self.echo:
            _write_all(1 if stream == "stdout" else 2, chunk)

    def _notice_start(self, on_started: Callable[[], None]) -> None:
        # runc writes --pid-file once the process is running (after its exec checks).
        if self.started or not self.paths.pid_file.exists():
            return
        self.started = True
        self.containers.mark(self.c, RUNNING, started=time.time(), supervisor_pid=os.getpid())
        for stream, chunk in self._held:
            self._copy(stream, chunk)
        self._held.clear()
        on_started()

    def _start_error(self, code: int) -> ContainerError:
        from pallet.executor.runc import runc_log_error

        reason = runc_log_error(self.paths.runc_log) or f"runc exited with status {code}"
        return CommandStartError(reason)

    def _finish(self, code: int) -> None:
        """Record how it ended; clean up when --rm asked for it."""
        status = EXITED if self.started else CREATED
        self.containers.mark(self.c, status, exit_code=code, finished=time.time())
        if self.c.auto_remove:
            self.containers.cleanup(self.c)


def _write_all(fd: int, data: bytes) -> None:
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        pass  # our reader went away; the log still has everything


# -- detached -------------------------------------------------------------------------
def start_detached(containers, c: Container) -> None:
    """Start `c` under a supervisor of its own; return once it runs (or raise why not)."""
    read_end, write_end = os.pipe()
    paths = containers.paths(c)
    env = {**os.environ, "PALLET_ROOT": str(containers.root.path)}
    with open(paths.supervisor_log, "ab") as log:
        middle = subprocess.Popen(
            [sys.executable, "-m", "pallet.container.supervise", c.id, str(write_end)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(write_end,),
            start_new_session=True, env=env)
    os.close(write_end)
    middle.wait()  # it forks the supervisor and exits at once
    with os.fdopen(read_end, "rb") as ready:
        report = ready.read()
    _raise_for_report(report, paths)


def _raise_for_report(report: bytes, paths) -> None:
    try:
        answer = json.loads(report or b"{}")
    except ValueError:
        answer = {}
    if answer.get("ok"):
        return
    if "error" not in answer:
        raise ContainerError("the container's supervisor failed before starting it",
                             hint=f"its output is in {paths.supervisor_log}")
    err = ContainerError(answer["error"], hint=answer.get("hint"))
    err.exit_code = answer.get("exit_code", EXIT_PALLET)
    raise err


def supervise_detached(cid: str, ready_fd: int) -> int:
    """The supervisor's body, after the double fork."""
    from pallet.container.containers import Containers

    ready = os.fdopen(ready_fd, "w")
    containers = Containers.open()
    c = containers.store.get(cid)
    if c is None:
        return _report(ready, {"error": f"No such container: {cid}"})
    stdin, keep_open = idle_stdin(c.spec.tty, c.spec.stdin_open)
    try:
        Supervisor(containers, c, echo=False).run(stdin, lambda: _report(ready, {"ok": True}))
    except PalletError as e:
        return _report(ready, {"error": e.message, "hint": e.hint, "exit_code": e.exit_code})
    finally:
        close_all(keep_open)
    return 0


def _report(ready, answer: dict) -> int:
    if not ready.closed:
        ready.write(json.dumps(answer) + "\n")
        ready.close()
    return 0 if answer.get("ok") else 1


def main(argv: list[str]) -> int:
    cid, fd = argv
    if os.fork() > 0:
        os._exit(0)  # the middle process: its parent reaps it, the supervisor is orphaned
    for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTSTP):
        signal.signal(s, signal.SIG_IGN)
    return supervise_detached(cid, int(fd))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
