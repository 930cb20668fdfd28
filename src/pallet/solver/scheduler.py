"""Solve an op graph: cache lookup, parallel execution, dedupe (solver/scheduler.go).

Every op is solved at most once per Solver: concurrent requests for the same digest share
one Future. An op runs once all its inputs are solved; independent branches (stages) run
on their own threads, so two stages build at once.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Protocol

from pallet.graph.ops import Op
from pallet.progress import Progress
from pallet.solver.result import Result


class Worker(Protocol):
    """Executes single ops. `cache_key` may look at content (context file checksums)."""

    def cache_key(self, op: Op, inputs: list[Result]) -> str: ...
    def lookup(self, op: Op, key: str) -> Result | None: ...
    def execute(self, op: Op, key: str, inputs: list[Result], progress: Progress, vertex) -> Result: ...


class Solver:
    def __init__(self, worker: Worker, progress: Progress, *, no_cache: bool = False) -> None:
        self.worker = worker
        self.progress = progress
        self.no_cache = no_cache
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()

    def solve(self, op: Op) -> Result:
        return self._future(op).result()

    def solve_all(self, ops: list[Op]) -> list[Result]:
        futures = [self._future(op) for op in ops]
        return [f.result() for f in futures]

    def _future(self, op: Op) -> Future:
        digest = op.digest()
        with self._lock:
            fut = self._futures.get(digest)
            if fut is not None:
                return fut
            fut = Future()
            self._futures[digest] = fut
        threading.Thread(target=self._run, args=(op, fut), daemon=True).start()
        return fut

    def _run(self, op: Op, fut: Future) -> None:
        try:
            inputs = [f.result() for f in [self._future(i) for i in op.inputs()]]
            fut.set_result(self._solve_one(op, inputs))
        except BaseException as exc:  # delivered to whoever waits on this op
            fut.set_exception(exc)

    def _solve_one(self, op: Op, inputs: list[Result]) -> Result:
        try:
            key = self.worker.cache_key(op, inputs)
        except BaseException as exc:  # e.g. a COPY source that is not in the context
            _locate(exc, op, None)
            raise
        use_cache = not (self.no_cache or op.meta.ignore_cache)
        hit = self.worker.lookup(op, key) if use_cache else None
        vertex = self.progress.vertex(op.meta.name) if op.meta.name else None
        if hit is not None:
            if vertex:
                self.progress.done(vertex, cached=True)
            return hit
        try:
            result = self.worker.execute(op, key, inputs, self.progress, vertex)
        except BaseException as exc:
            if vertex:
                self.progress.done(vertex, error=str(exc) or type(exc).__name__)
            _locate(exc, op, vertex)
            raise
        if vertex:
            self.progress.done(vertex)
        return result

def _locate(exc: BaseException, op: Op, vertex) -> None:
    """Point a step's error at its Dockerfile lines and keep its last output lines."""
    from pallet.errors import PalletError

    if not isinstance(exc, PalletError) or exc.step:
        return
    exc.step = op.meta.name
    exc.ranges = exc.ranges or list(op.meta.ranges)
    if vertex is not None:
        exc.output = list(vertex.logs)
