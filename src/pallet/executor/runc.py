"""RuncExecutor: the only module that spawns runc.

One `run()` is one container, BuildKit's `executor/runcexecutor/executor.go:Run`
in miniature:

1. make a bundle dir (config.json, hosts, resolv.conf, rootfs/) in a temp dir;
2. mount the snapshot's mounts on rootfs/, resolve USER in it, create WORKDIR;
3. `runc run --bundle DIR ID` with stdin closed (or given), stdout and stderr
   piped and handed to `on_output` line by line, as they come;
4. always, even on KeyboardInterrupt: remove the mount stubs runc made
   (/etc/hosts, ...), unmount, remove the bundle; when interrupted, first
   `runc kill` and `runc delete --force` the container.

runc's own messages go to a JSON log file (`--log --log-format json`), not to
the container's stderr, so "the container could not start" (a missing or foreign
executable) is told apart from "the process exited 1" by reading that log.
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Sequence

from pallet.errors import BuildError
from pallet.executor.hostfiles import make_hosts, make_resolv_conf
from pallet.executor.rootfs import ensure_workdir, find_stubs, remove_stubs

# The bundle, user and mount modules are imported where a container is made: a build whose
# steps are all cached creates a RuncExecutor but never runs it.
if TYPE_CHECKING:
    from pallet.executor.bundle import ProcessSpec
    from pallet.executor.user import ExecUser
    from pallet.snapshot.base import Mount

OutputCallback = Callable[[str, bytes], None]
"""on_output(stream, line): stream is "stdout" or "stderr"; line ends with b"\\n"
unless it is the last, unterminated piece of the stream."""

DEFAULT_STATE_DIR = "/run/pallet/runc"
FOREIGN_HINT = ("the executable is for another CPU architecture (exec format error); "
                "use FROM --platform=$BUILDPLATFORM, or register emulators with `pallet binfmt --install`")


class RuncNotFoundError(BuildError):
    """The runc binary is not installed (or not where we were told)."""


class ContainerStartError(BuildError):
    """runc could not start the process: no such executable, exec format error, ..."""

    def __init__(self, args: Sequence[str], reason: str, *, hint: str | None = None) -> None:
        # BuildKit llbsolver/ops/exec.go wraps every executor error this way.
        super().__init__(f'process "{" ".join(args)}" did not complete successfully: {reason}', hint=hint)
        self.reason = reason


class RuncExecutor:
    """Runs processes in containers with runc over a mounted snapshot."""

    def __init__(self, *, runc: str = "runc", state_dir: str = DEFAULT_STATE_DIR,
                 work_dir: str | None = None, host_resolv_conf: str = "/etc/resolv.conf") -> None:
        self.runc = runc
        self.state_dir = state_dir
        self.work_dir = work_dir
        self.host_resolv_conf = host_resolv_conf

    def run(self, process: ProcessSpec, rootfs_mounts: Sequence[Mount], *,
            on_output: OutputCallback | None = None, stdin: IO[bytes] | int | None = None) -> int:
        """Run `process` on a rootfs made of `rootfs_mounts`; return its exit code."""
        from pallet.snapshot.mount import mounted

        binary = self._binary()
        bundle = Path(tempfile.mkdtemp(prefix="pallet-bundle-", dir=self.work_dir))
        try:
            rootfs = bundle / "rootfs"
            rootfs.mkdir()
            with mounted(rootfs_mounts, rootfs):
                return self._run_in_rootfs(binary, bundle, process, on_output, stdin)
        finally:
            _remove_bundle(bundle)

    def _run_in_rootfs(self, binary: str, bundle: Path, process: ProcessSpec,
                       on_output: OutputCallback | None, stdin: IO[bytes] | int | None) -> int:
        rootfs = bundle / "rootfs"
        user = _prepare_rootfs(rootfs, process)
        stubs = find_stubs(rootfs, ["/etc/resolv.conf", "/etc/hosts", *(m.destination for m in process.mounts)])
        cid = "pallet-" + secrets.token_hex(8)
        try:
            self._write_bundle(bundle, process, user)
            return self._run_container(binary, bundle, cid, process, on_output, stdin)
        finally:
            remove_stubs(stubs)

    def _write_bundle(self, bundle: Path, process: ProcessSpec, user: ExecUser) -> None:
        from pallet.executor.bundle import BundleSpec, make_config

        (bundle / "hosts").write_text(make_hosts(process.hostname, process.extra_hosts))
        (bundle / "resolv.conf").write_text(make_resolv_conf(_read(self.host_resolv_conf), process.network))
        spec = BundleSpec(process, str(bundle / "rootfs"), str(bundle / "hosts"), str(bundle / "resolv.conf"), user)
        (bundle / "config.json").write_text(json.dumps(make_config(spec), indent=1))

    def _run_container(self, binary: str, bundle: Path, cid: str, process: ProcessSpec,
                       on_output: OutputCallback | None, stdin: IO[bytes] | int | None) -> int:
        log = bundle / "runc.log"
        cmd = [binary, "--root", self.state_dir, "--log", str(log), "--log-format", "json",
               "run", "--bundle", str(bundle), cid]
        # A session of its own: a Ctrl-C in the terminal reaches us, and we decide
        # how the container ends (kill + delete), instead of racing runc for it.
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL if stdin is None else stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            last_stderr = _pump(proc, on_output or (lambda stream, line: None))
            code = proc.wait()
        except BaseException:
            # `runc run` deletes the container when it exits by itself (measured: that
            # saves a 5 ms `runc delete` per step); only an interrupted run needs this.
            self._kill(binary, cid, proc)
            self._runc(binary, "delete", "--force", cid)
            raise
        finally:
            proc.stdout.close()
            proc.stderr.close()
        error = runc_log_error(log)
        if code != 0 and error:
            raise ContainerStartError(process.args, error)
        if code == 1 and last_stderr.startswith(b"exec ") and last_stderr.endswith(b": exec format error\n"):
            # runc execs after the start handshake, so this one reaches the process's
            # stderr, not runc's log. BuildKit then says "exit code: 1"; so do we, with a hint.
            raise ContainerStartError(process.args, "exit code: 1", hint=FOREIGN_HINT)
        return code

    def _kill(self, binary: str, cid: str, proc: subprocess.Popen) -> None:
        self._runc(binary, "kill", cid, "KILL")
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _runc(self, binary: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([binary, "--root", self.state_dir, *args],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=30)

    def _binary(self) -> str:
        found = shutil.which(self.runc)
        if found is None:
            raise RuncNotFoundError(f'runc executable "{self.runc}" not found in $PATH',
                                    hint="RUN steps need runc: apt-get install runc")
        return found


def _pump(proc: subprocess.Popen, on_output: OutputCallback) -> bytes:
    """Hand stdout and stderr to `on_output` line by line until both reach EOF.

    Returns the last stderr line.
    """
    sel = selectors.DefaultSelector()
    pending: dict[str, bytes] = {}
    last = b""
    for stream, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        sel.register(pipe, selectors.EVENT_READ, stream)
        pending[stream] = b""
    while sel.get_map():
        for key, _ in sel.select():
            stream = key.data
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fileobj)
                if pending[stream]:
                    on_output(stream, pending[stream])
                    last = pending[stream] if stream == "stderr" else last
                continue
            *lines, pending[stream] = (pending[stream] + chunk).split(b"\n")
            for line in lines:
                on_output(stream, line + b"\n")
            if lines and stream == "stderr":
                last = lines[-1] + b"\n"
    sel.close()
    return last


def _prepare_rootfs(rootfs: Path, process: ProcessSpec) -> ExecUser:
    """Resolve the process's USER in the mounted rootfs and create its working dir."""
    from pallet.executor.user import resolve_user_in_root

    user = resolve_user_in_root(rootfs, process.user)
    try:
        ensure_workdir(rootfs, process.cwd, user.uid, user.gid)
    except OSError as e:
        raise BuildError(f"failed to create working directory {process.cwd}: {(e.strerror or str(e)).lower()}") from e
    return user


def runc_log_error(log: Path) -> str:
    """The last error runc logged in `log` ("" if none), without runc's "runc run failed: " prefix."""
    message = ""
    for line in _read(str(log)).splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") in ("error", "fatal"):
            message = str(entry.get("msg", "")).removeprefix("runc run failed: ")
    return message


def _remove_bundle(bundle: Path) -> None:
    from pallet.snapshot.mount import is_mountpoint

    # Never rmtree through a rootfs that is still mounted: that would delete the snapshot.
    if is_mountpoint(bundle / "rootfs"):
        return
    shutil.rmtree(bundle, ignore_errors=True)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


# -- long-lived containers: `pallet run/exec/stop/kill/rm` --------------------------
#
# `run()` above is one RUN step from start to end. A container outlives the pallet
# process that started it, so its steps are separate calls on a bundle the caller
# keeps (pallet.container): `write_container_bundle` once the rootfs is mounted,
# `launch` (runc run, in the background of a session of its own; the caller pumps
# its output and waits), then `exec_process`, `kill`, `state` and `delete`.
# runc keeps its own state under `state_dir` (one dir per container id).

class ContainerExecutor(RuncExecutor):
    """RuncExecutor's verbs for containers that outlive one call."""

    def write_container_bundle(self, bundle: Path, process: ProcessSpec) -> ExecUser:
        """config.json, hosts and resolv.conf for the rootfs mounted at bundle/rootfs."""
        user = _prepare_rootfs(bundle / "rootfs", process)
        self._write_bundle(bundle, process, user)
        return user

    def launch(self, bundle: Path, cid: str, *, stdin, stdout, stderr, pid_file: Path,
               log: Path) -> subprocess.Popen:
        """`runc run` in the foreground of runc (it proxies a tty, forwards signals and
        reports the exit code), but in a new session so our terminal's signals reach
        only the caller, who forwards them; runc writes `pid_file` once the process runs."""
        cmd = [self._binary(), "--root", self.state_dir, "--log", str(log), "--log-format", "json",
               "run", "--bundle", str(bundle), "--pid-file", str(pid_file), cid]
        return subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=stderr, start_new_session=True)

    def exec_process(self, cid: str, process: dict, process_file: Path, *, stdin=None,
                     log: Path | None = None) -> subprocess.Popen:
        """`runc exec` of a process.json dict (written to `process_file`, which the caller
        removes after the wait) with our stdio; runc proxies a tty itself."""
        binary = self._binary()
        process_file.write_text(json.dumps(process))
        logging = ["--log", str(log), "--log-format", "json"] if log else []
        cmd = [binary, "--root", self.state_dir, *logging, "exec", "--process", str(process_file), cid]
        return subprocess.Popen(cmd, stdin=stdin, start_new_session=True)

    def kill(self, cid: str, signal: str) -> bool:
        """Send `signal` (a name like "TERM" or a number) to the container's init."""
        return self._runc(self._binary(), "kill", cid, signal).returncode == 0

    def state(self, cid: str) -> dict | None:
        """runc's view of the container ({"status": "running", "pid": ...}), None if unknown."""
        proc = self._runc(self._binary(), "state", cid)
        if proc.returncode != 0:
            return None
        try:
            return json.loads(proc.stdout)
        except ValueError:
            return None

    def delete(self, cid: str) -> None:
        """Forget the container (killing what is left of it); unknown ids are fine."""
        self._runc(self._binary(), "delete", "--force", cid)
