"""Containers: the containers of one state root — create, find, stop, kill, remove.

A container is a row in the `containers` table, a directory under
`<root>/containers/<id>` (see `paths`), an active snapshot over the image's layers
(its writable layer) and, while it runs, runc's state and a supervisor process
(`pallet.container.supervise`) that waits for it. Every process that touches a
container's files on the way out (the supervisor with --rm, `pallet rm`) does so
under the container's file lock, and every step of removal tolerates having
been done already, so they can race.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from pathlib import Path

from pallet.container.errors import ContainerError, NotRunningError, StillRunningError
from pallet.container.names import generate_name, validate_name
from pallet.container.options import RunOptions, make_spec
from pallet.container.paths import ContainerPaths
from pallet.container.record import EXITED, RUNNING, Container
from pallet.container.store import ContainerStore
from pallet.snapshot.unpack import unpack_image
from pallet.errors import NotFoundError
from pallet.state.locks import FileLock

LOST_EXIT_CODE = 255  # a container whose supervisor died: its exit code is unknown
POLL_SECONDS = 0.05
KILL_GRACE_SECONDS = 10  # after SIGKILL, how long to wait for the supervisor to notice


class Containers:
    def __init__(self, root) -> None:
        from pallet.executor.runc import ContainerExecutor
        from pallet.snapshot.overlay import OverlaySnapshotter
        from pallet.state.db import connect

        self.root = root.ensure()
        self.store = ContainerStore(connect(root.db_path))
        self.snapshots = OverlaySnapshotter(root.snapshots_dir)
        runc_dir = ContainerPaths(root.path, "").runc_state_dir
        runc_dir.mkdir(parents=True, exist_ok=True)
        self.executor = ContainerExecutor(state_dir=str(runc_dir), work_dir=str(root.tmp_dir))

    @classmethod
    def open(cls, root=None) -> Containers:
        from pallet.state.root import StateRoot

        return cls(root or StateRoot.default())

    def paths(self, c: Container | str) -> ContainerPaths:
        return ContainerPaths(self.root.path, c if isinstance(c, str) else c.id)

    # -- create -----------------------------------------------------------------------
    def create(self, opts: RunOptions) -> Container:
        """Record a container for `opts.image` and prepare its writable layer (not started)."""
        from pallet.image.local import LocalImages

        images = LocalImages.open(self.root)
        image = images.image(_resolve_image(images, opts.image))
        cid = secrets.token_hex(32)
        top = unpack_image(images.blobs, self.snapshots, image.manifest, image.config)
        spec = make_spec(image.config.config, opts, cid[:12], top)
        name = validate_name(opts.name) if opts.name else generate_name(self.store.names())
        c = Container(cid, name, opts.image, image.image_id, spec, time.time(), opts.auto_remove)
        self.store.add(c)
        try:
            self._prepare_files(c)
        except BaseException:
            self.cleanup(c)
            raise
        return c

    def _prepare_files(self, c: Container) -> None:
        paths = self.paths(c)
        paths.rootfs.mkdir(parents=True)
        self.snapshots.prepare(paths.snapshot_key, [c.spec.top_snapshot] if c.spec.top_snapshot else [])
        for host, _, _ in c.spec.volumes:
            os.makedirs(host, exist_ok=True)  # docker -v makes a missing host dir

    # -- look up ----------------------------------------------------------------------
    def find(self, ref: str) -> Container:
        return self.refresh(self.store.find(ref))

    def list(self) -> list[Container]:
        return [self.refresh(c) for c in self.store.list()]

    def refresh(self, c: Container) -> Container:
        """`c`, marked exited when it says running but nobody is looking after it any more."""
        if c.status != RUNNING or _alive(c.supervisor_pid):
            return c
        state = self.executor.state(c.id)
        if state and state.get("status") in ("running", "paused", "created"):
            return c  # orphaned but alive: stop/kill/rm still work through runc
        self.store.update(c.id, status=EXITED, exit_code=LOST_EXIT_CODE, finished=time.time())
        return self.store.get(c.id) or c

    # -- stop, kill -------------------------------------------------------------------
    def stop(self, c: Container, timeout: float | None = None) -> None:
        """The stop signal, then SIGKILL after `timeout` seconds (default 10), as docker stop."""
        if not c.is_running:
            return
        self.executor.kill(c.id, c.spec.stop_signal)
        if self.wait_stopped(c, 10 if timeout is None else timeout):
            return
        self.executor.kill(c.id, "KILL")
        if not self.wait_stopped(c, KILL_GRACE_SECONDS):
            raise ContainerError(f"cannot stop container: {c.name}: it did not exit after SIGKILL")

    def kill(self, c: Container, signal: str) -> None:
        if not c.is_running:
            raise ContainerError(f"Cannot kill container: {c.name}: {NotRunningError(c.id).message}")
        if not self.executor.kill(c.id, signal.removeprefix("SIG")):
            raise ContainerError(f"Cannot kill container: {c.name}: runc kill failed")

    def wait_stopped(self, c: Container, timeout: float) -> bool:
        """Whether the container stopped (and its supervisor recorded that) within `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            now = self.store.get(c.id)
            if now is None:
                return True
            now = self.refresh(now)
            # With --rm, "stopped" means removed: wait while the supervisor cleans up.
            if now.status != RUNNING and not (now.auto_remove and _alive(now.supervisor_pid)):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)

    # -- remove -----------------------------------------------------------------------
    def remove(self, c: Container, force: bool = False) -> None:
        if c.is_running:
            if not force:
                raise StillRunningError(c.name)
            self.executor.kill(c.id, "KILL")
            self.wait_stopped(c, KILL_GRACE_SECONDS)
        self.cleanup(c)

    def cleanup(self, c: Container) -> None:
        """Remove everything of `c` that is left: runc state, mount, writable layer, files, row."""
        from pallet.snapshot.mount import is_mountpoint, unmount

        paths = self.paths(c)
        with FileLock(self.root.lock_path(f"container-{c.id}")):
            self.executor.delete(c.id)
            while paths.rootfs.exists() and is_mountpoint(paths.rootfs):
                unmount(paths.rootfs)
            try:
                self.snapshots.remove(paths.snapshot_key)
            except NotFoundError:
                pass
            shutil.rmtree(paths.dir, ignore_errors=True)
            self.store.delete(c.id)
        self.root.lock_path(f"container-{c.id}").unlink(missing_ok=True)

    def mark(self, c: Container, status: str, **fields) -> None:
        self.store.update(c.id, status=status, **fields)


def _resolve_image(images, text: str):
    from pallet.image.reference import parse_tagged

    try:
        return images.resolve(text)
    except NotFoundError:
        try:
            shown = parse_tagged(text).familiar()
        except Exception:  # not a valid reference at all: show it as given
            shown = text
        raise ContainerError(f"Unable to find image '{shown}' locally",
                             hint="build it with pallet build -t, or pallet load / pallet import it") from None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"
