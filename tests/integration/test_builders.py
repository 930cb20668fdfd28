"""Builder instances end to end (issue 5): each builder has its own build cache (records,
step snapshots, cache mounts) on one state root, while images stay shared.

The CLI runs as a subprocess on a fresh PALLET_ROOT with busybox:local imported, as in
test_build_engine.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pallet.testing.cli import PalletCLI, busybox_cli, make_context, step_statuses

DOCKERFILE = "FROM busybox:local\nCOPY a.txt /a.txt\nRUN cat /a.txt > /a.out\n"
COUNTER = ("FROM busybox:local\n"
           "RUN --mount=type=cache,target=/cache echo x >> /cache/n; wc -l < /cache/n\n")


@pytest.fixture
def pallet(tmp_path) -> PalletCLI:
    yield from busybox_cli(tmp_path)


@pytest.fixture
def ctx(tmp_path) -> Path:
    return make_context(tmp_path / "ctx", {"Dockerfile": DOCKERFILE, "a.txt": "a\n"})


def states(pallet, ctx, *flags) -> set[str]:
    return set(step_statuses(pallet.build(ctx, *flags).stderr).values())


def counter(log: str) -> str:
    """The count `wc -l` printed: the RUN step's only output line, `#4 0.031 2`."""
    return [line for line in log.splitlines() if re.fullmatch(r"#\d+ \d+\.\d+ \d+", line)][-1].split()[-1]


def test_a_build_is_cached_in_its_builder_only(pallet, ctx):
    pallet("builder", "create", "--name", "a")
    pallet("builder", "create", "--name", "b")
    assert states(pallet, ctx, "--builder", "a") == {"DONE"}
    assert states(pallet, ctx, "--builder", "a") == {"CACHED"}
    assert states(pallet, ctx, "--builder", "b") == {"DONE"}
    assert states(pallet, ctx) == {"DONE"}  # default has its own cache too
    assert states(pallet, ctx, "--builder", "b") == {"CACHED"}


def test_cache_mount_counts_per_builder(pallet, tmp_path):
    ctx = make_context(tmp_path / "counter", {"Dockerfile": COUNTER})
    pallet("builder", "create", "--name", "a")
    pallet("builder", "create", "--name", "b")
    runs = [("a", "1"), ("a", "2"), ("b", "1"), ("default", "1"), ("a", "3"), ("b", "2")]
    for name, expected in runs:
        log = pallet.build(ctx, "--no-cache", "--builder", name).stderr
        assert counter(log) == expected, (name, log)


def test_use_and_buildx_builder_env_select_the_builder(pallet, ctx):
    pallet("buildx", "create", "--name", "a", "--driver=docker-container", "--use")
    assert states(pallet, ctx) == {"DONE"}
    assert states(pallet, ctx, "--builder", "a") == {"CACHED"}  # `use` picked a
    pallet.env["BUILDX_BUILDER"] = "default"  # the environment beats `use`
    assert states(pallet, ctx) == {"DONE"}
    pallet("builder", "use", "default")
    pallet.env.pop("BUILDX_BUILDER")
    assert states(pallet, ctx) == {"CACHED"}
    ls = pallet("builder", "ls").stdout.splitlines()
    assert ls[1].split() == ["a", "docker-container"]
    assert ls[2].split()[:5] == ["\\_", "a0", "\\_", str(pallet.root / "builders" / "a"), "running"]
    assert ls[3].split() == ["default*", "local"]


def test_prune_with_builder_touches_only_that_builder(pallet, ctx):
    pallet("builder", "create", "--name", "a")
    pallet.build(ctx, "--builder", "a")
    pallet.build(ctx)
    pallet("builder", "prune", "-af", "--builder", "a")
    assert states(pallet, ctx) == {"CACHED"}
    assert states(pallet, ctx, "--builder", "a") == {"DONE"}
    du = pallet("builder", "du", "--builder", "a").stdout
    assert "Total:" in du and du.splitlines()[0].split()[0] == "ID"


def test_rm_frees_the_cache_and_keeps_images(pallet, ctx):
    pallet("builder", "create", "--name", "a")
    pallet.build(ctx, "--builder", "a", "-t", "app:a")
    assert (pallet.root / "builders" / "a" / "snapshots").is_dir()
    proc = pallet("builder", "rm", "a")
    assert proc.stderr.strip() == "a removed"
    assert not (pallet.root / "builders" / "a").exists()
    assert "app" in pallet("images").stdout
    assert pallet("system", "check").returncode == 0
    out = pallet("builder", "ls").stdout
    assert " a " not in out and "a0" not in out
    assert states(pallet, ctx) == {"DONE"}  # default never had that cache


def test_unknown_builder_is_a_clear_error(pallet, ctx):
    for args in (("build", "--progress=plain", "--builder", "nope", ctx),
                 ("builder", "prune", "-f", "--builder", "nope"),
                 ("builder", "du", "--builder", "nope"),
                 ("builder", "inspect", "nope"), ("builder", "use", "nope"),
                 ("builder", "rm", "nope")):
        proc = pallet(*args, check=False)
        assert proc.returncode == 1, args
        assert 'no builder "nope" found' in proc.stderr and "Traceback" not in proc.stderr, args
    pallet.env["BUILDX_BUILDER"] = "ghost"
    proc = pallet("build", "--progress=plain", ctx, check=False)
    assert proc.returncode == 1 and 'no builder "ghost" found' in proc.stderr


def test_removing_one_builders_cache_keeps_blobs_another_uses(pallet, ctx):
    """Equal steps give equal layer blobs in both builders (one content store): freeing
    one builder's cache must leave the other's records whole, or its next lookup misses."""
    pallet("builder", "create", "--name", "a")
    pallet.build(ctx, "--builder", "a")
    pallet.build(ctx)
    pallet("builder", "prune", "-af")  # default's cache, not a's
    assert states(pallet, ctx, "--builder", "a") == {"CACHED"}
    pallet.build(ctx)
    pallet("builder", "rm", "a")
    assert states(pallet, ctx) == {"CACHED"}
    assert pallet("system", "check").returncode == 0
