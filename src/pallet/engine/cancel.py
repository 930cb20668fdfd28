"""Ctrl-C during a build: stop the running containers, let every step unwind, then exit.

Why this exists: ops run on daemon threads (solver/scheduler.py), and Python delivers
SIGINT to the main thread only. Before this module the main thread returned 130 at once
and the process exited under the threads' feet: a `RUN sleep 30` interrupted after 2 s
left its `runc run` (own session, so it never saw the Ctrl-C), its container and the
step's overlay mount behind (measured with tests/integration/test_build_engine.py).

Now `api._solve` calls `Cancellation.cancel()` on KeyboardInterrupt. It refuses new steps,
`runc kill`s the containers of running steps (again every 0.2 s: a container may be
registered a moment before runc has created it), and waits for the steps' threads to
unwind through their own `finally` blocks (unmount, remove the bundle, drop the active
snapshot) before the exception goes on to the CLI (exit code 130).
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from contextlib import contextmanager

from pallet.executor.runc import RuncExecutor


class Cancellation:
    def __init__(self) -> None:
        self.requested = threading.Event()
        self._cond = threading.Condition()
        self._busy = 0
        self._containers: dict[str, tuple[str, str]] = {}  # cid -> (runc binary, state dir)

    @contextmanager
    def step(self):
        """Around one op's execution: refused once a cancel was requested."""
        with self._cond:
            if self.requested.is_set():
                raise KeyboardInterrupt("canceled")
            self._busy += 1
        try:
            yield
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify_all()

    @contextmanager
    def container(self, binary: str, state_dir: str, cid: str):
        with self._cond:
            self._containers[cid] = (binary, state_dir)
        try:
            yield
        finally:
            with self._cond:
                self._containers.pop(cid, None)

    def cancel(self, timeout: float = 20.0) -> None:
        """Stop what runs and wait (at most `timeout` s) until every step has unwound."""
        self.requested.set()
        # A second Ctrl-C must not cut the cleanup short (people press it twice).
        old = _ignore_sigint()
        try:
            deadline = time.monotonic() + timeout
            with self._cond:
                while self._busy and time.monotonic() < deadline:
                    for cid, (binary, state_dir) in list(self._containers.items()):
                        subprocess.run([binary, "--root", state_dir, "kill", cid, "KILL"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    self._cond.wait(0.2)
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)


class CancellableRuncExecutor(RuncExecutor):
    """RuncExecutor that tells a Cancellation which container it runs."""

    def __init__(self, cancellation: Cancellation, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cancellation = cancellation

    def _run_container(self, binary, bundle, cid, process, on_output, stdin):
        with self.cancellation.container(binary, self.state_dir, cid):
            code = super()._run_container(binary, bundle, cid, process, on_output, stdin)
        if self.cancellation.requested.is_set():
            raise KeyboardInterrupt("canceled")  # not "exit code: 137" in the progress
        return code


def _ignore_sigint():
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, signal.SIG_IGN)
