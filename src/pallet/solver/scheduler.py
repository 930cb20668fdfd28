"""Solve an op graph: cache lookup, parallel execution, dedupe (solver/scheduler.go).

Every op is solved at most once per Solver: concurrent requests for the same digest share
one Outcome. An op runs once all its inputs are solved; independent branches (stages) run
on their own threads, so two stages build at once.
"""

from __future__ import annotations

import threading
from typing import Protocol

from pallet.graph.ops import Op
from pallet.progress import Progress
from pallet.solver.result import Result


class Worker(Protocol):
    """Executes single ops. `cache_key` may look at content (context file checksums)."""

    def cache_key(self, op: Op, inputs: list[Result]) -> str: ...
    def lookup(self, op: Op, key: str) -> Result | None: ...
    def execute(self, op: Op, key: str, inputs: list[Result], progress: Progress, vertex) -> Result: ...


class Outcome:
    """One op's result or error, set once by the thread that solves it; others wait for it.

    concurrent.futures.Future would do, but importing it loads `logging`, a cost every
    build (even one fully cached) would pay.
    """

    def __init__(self) -> None:
        self._done = threading.Event()
        self._result: Result | None = None
        self._error: BaseException | None = None

    def set_result(self, result: Result) -> None:
        self._result = result
        self._done.set()

    def set_exception(self, error: BaseException) -> None:
        self._error = error
        self._done.set()

    def result(self) -> Result:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result


class Solver:
    def __init__(self, worker: Worker, progress: Progress, *, no_cache: bool = False) -> None:
        self.worker = worker
        self.progress = progress
        self.no_cache = no_cache
        self._outcomes: dict[str, Outcome] = {}
        self._lock = threading.Lock()

    def solve(self, op: Op) -> Result:
        return self._outcome(op).result()

    def solve_all(self, ops: list[Op]) -> list[Result]:
        outcomes = [self._outcome(op) for op in ops]
        return [o.result() for o in outcomes]

    def _outcome(self, op: Op) -> Outcome:
        digest = op.digest()
        with self._lock:
            outcome = self._outcomes.get(digest)
            if outcome is not None:
                return outcome
            outcome = Outcome()
            self._outcomes[digest] = outcome
        threading.Thread(target=self._run, args=(op, outcome), daemon=True).start()
        return outcome

    def _run(self, op: Op, outcome: Outcome) -> None:
        try:
            inputs = [o.result() for o in [self._outcome(i) for i in op.inputs()]]
            outcome.set_result(self._solve_one(op, inputs))
        except BaseException as exc:  # delivered to whoever waits on this op
            outcome.set_exception(exc)

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
