import threading
import time
from dataclasses import dataclass

import pytest

from pallet.graph.ops import Op, OpMeta
from pallet.progress import Progress
from pallet.solver.result import Result
from pallet.solver.scheduler import Solver


@dataclass(frozen=True)
class FakeOp(Op):
    value: str
    deps: tuple = ()
    delay: float = 0.0

    def inputs(self):
        return self.deps


class FakeWorker:
    def __init__(self, cached=()):
        self.exec_calls: dict[str, int] = {}
        self.cached = set(cached)
        self.running = 0
        self.max_running = 0
        self.lock = threading.Lock()

    def cache_key(self, op, inputs):
        return op.value + "(" + ",".join(r.key for r in inputs) + ")"

    def lookup(self, op, key):
        return Result(key, cached=True) if op.value in self.cached else None

    def execute(self, op, key, inputs, progress, vertex):
        with self.lock:
            self.exec_calls[op.value] = self.exec_calls.get(op.value, 0) + 1
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        time.sleep(op.delay)
        with self.lock:
            self.running -= 1
        if op.value == "boom":
            raise RuntimeError("boom failed")
        return Result(key)


def test_shared_input_runs_once():
    a = FakeOp("a")
    b = FakeOp("b", deps=(a,), delay=0.02)
    c = FakeOp("c", deps=(a, b))
    worker = FakeWorker()
    solver = Solver(worker, Progress(None))
    results = solver.solve_all([c, b, c])
    assert worker.exec_calls == {"a": 1, "b": 1, "c": 1}
    assert results[0].key == "c(a(),b(a()))"


def test_independent_branches_run_in_parallel():
    left = FakeOp("left", delay=0.2)
    right = FakeOp("right", delay=0.2)
    top = FakeOp("top", deps=(left, right))
    worker = FakeWorker()
    start = time.monotonic()
    Solver(worker, Progress(None)).solve(top)
    assert worker.max_running == 2
    assert time.monotonic() - start < 0.39


def test_cache_hit_skips_execution_and_no_cache_ignores_it():
    a = FakeOp("a", meta=OpMeta(name="[1/1] A"))
    worker = FakeWorker(cached={"a"})
    assert Solver(worker, Progress(None)).solve(a).cached
    assert worker.exec_calls == {}
    Solver(worker, Progress(None), no_cache=True).solve(a)
    assert worker.exec_calls == {"a": 1}


def test_failure_propagates_to_dependents():
    bad = FakeOp("boom")
    top = FakeOp("top", deps=(bad,))
    worker = FakeWorker()
    with pytest.raises(RuntimeError, match="boom failed"):
        Solver(worker, Progress(None)).solve(top)
    assert "top" not in worker.exec_calls


def test_meta_is_not_identity():
    assert FakeOp("a", meta=OpMeta(name="x")).digest() == FakeOp("a", meta=OpMeta(name="y")).digest()
    assert FakeOp("a").digest() != FakeOp("b").digest()
