"""Build-cache management end to end: builder du/prune, system df/check, killed builds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pallet.cli.main import main
from pallet.testing.cli import busybox_root, make_context

COUNTER = "FROM busybox:local\nRUN --mount=type=cache,target=/cache echo x >> /cache/n; wc -l < /cache/n\n"


@pytest.fixture
def root(tmp_path, monkeypatch):
    return busybox_root(tmp_path, monkeypatch)


@pytest.fixture
def pallet(capfd):
    def run(*argv, ok=True):
        code = main(list(argv))
        out, err = capfd.readouterr()
        assert (code == 0) == ok, out + err
        return out, err

    return run


def build(pallet, tmp_path, dockerfile, *flags):
    ctx = make_context(tmp_path / "ctx", {"Dockerfile": dockerfile})
    return pallet("build", "--progress=plain", *flags, str(ctx))


def counter(log: str) -> str:
    """The count `wc -l` printed: the step's only output line, `#4 0.031 2`."""
    import re

    return [line for line in log.splitlines() if re.fullmatch(r"#\d+ \d+\.\d+ \d+", line)][-1].split()[-1]


def test_prune_all_empties_cache_mounts_and_cache(root, pallet, tmp_path):
    assert counter("".join(build(pallet, tmp_path, COUNTER, "-t", "app:1"))) == "1"
    assert counter("".join(build(pallet, tmp_path, COUNTER, "--no-cache"))) == "2"
    out, _ = pallet("builder", "du")
    assert out.splitlines()[0].split() == ["ID", "RECLAIMABLE", "SIZE", "LAST", "ACCESSED"]
    assert out.splitlines()[-1].startswith("Total:")
    out, err = pallet("buildx", "prune", "-af")
    assert out.splitlines()[-1].startswith("Total:")
    assert "1 cache mounts" in err
    assert not any((root / "cachemounts").iterdir())
    assert counter("".join(build(pallet, tmp_path, COUNTER, "--no-cache"))) == "1"
    pallet("buildx", "prune", "-af")
    out, _ = pallet("builder", "du")
    assert out.splitlines()[-1] == "Total:\t\t0B"
    # the tagged image still runs from what prune kept: its blobs
    pallet("save", "-o", str(tmp_path / "a.tar"), "app:1")
    pallet("system", "check")


def test_prune_without_all_keeps_what_built_tagged_images(root, pallet, tmp_path):
    build(pallet, tmp_path, "FROM busybox:local\nRUN echo kept > /k\n", "-t", "keep:1")
    build(pallet, tmp_path, "FROM busybox:local\nRUN echo gone > /g\n")  # untagged: dangling
    _, err = pallet("builder", "prune", "-f")
    assert "1 cache records" in err
    log = "".join(build(pallet, tmp_path, "FROM busybox:local\nRUN echo kept > /k\n"))
    assert "CACHED" in log.split("echo kept", 1)[1]
    log = "".join(build(pallet, tmp_path, "FROM busybox:local\nRUN echo gone > /g\n"))
    assert "CACHED" not in log.split("echo gone", 1)[1].split("exporting", 1)[0]


def test_prune_filters(root, pallet, tmp_path):
    build(pallet, tmp_path, COUNTER)
    _, err = pallet("builder", "prune", "-af", "--filter", "until=1h")
    assert "0 cache records" in err and "0 cache mounts" in err
    pallet("builder", "prune", "-af", "--filter", "until=bogus", ok=False)
    _, err = pallet("builder", "prune", "-af", "--keep-storage", "1GB")
    assert "0 cache records" in err
    _, err = pallet("builder", "prune", "-af", "--keep-storage", "0")
    assert "1 cache mounts" in err


def test_prune_asks_before_deleting(root, pallet, tmp_path, monkeypatch):
    import io

    build(pallet, tmp_path, COUNTER)
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    _, err = pallet("builder", "prune", "-a", ok=False)
    assert "WARNING! This will remove all build cache." in err
    assert any((root / "cachemounts").iterdir())


def test_system_df_lists_docker_rows(root, pallet, tmp_path):
    build(pallet, tmp_path, COUNTER, "-t", "app:1")
    out, _ = pallet("system", "df")
    lines = out.splitlines()
    assert lines[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    assert [line.split()[0] for line in lines[1:]] == ["Images", "Containers", "Local", "Build"]
    assert lines[1].split()[1] == "2"


def test_killed_build_leaves_nothing_prune_cannot_reclaim(root, pallet, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox:local\nRUN --mount=type=cache,target=/c "
                                    "touch /started; sleep 60\n")
    proc = subprocess.Popen([sys.executable, "-m", "pallet.cli.main", "build", "--progress=plain",
                             str(ctx)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not list(root.glob("snapshots/snapshots/*/fs/started")):
        assert time.monotonic() < deadline and proc.poll() is None, "the build never started"
        time.sleep(0.1)
    # while it runs, check reports nothing (its files are in use) and repair refuses
    out, _ = pallet("system", "check")
    pallet("system", "check", "--repair", ok=False)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    out, _ = pallet("system", "check", ok=False)
    assert "leftover active snapshot" in out and "stale mount" in out
    pallet("system", "check", "--repair")
    out, _ = pallet("system", "check")
    assert out == "no problems found\n"
    from pallet.testing import mounts_under

    assert mounts_under(root) == []
    pallet("builder", "prune", "-af")
    assert not list((root / "snapshots" / "snapshots").iterdir()) or all(
        p.name in _committed(root) for p in (root / "snapshots" / "snapshots").iterdir())
    assert not any((root / "tmp").iterdir()) and not any((root / "content" / "ingest").iterdir())


def test_check_finds_corrupt_blobs(root, pallet, tmp_path):
    build(pallet, tmp_path, "FROM busybox:local\nRUN echo a > /a\n")
    blobs = sorted((root / "content" / "blobs" / "sha256").iterdir(), key=lambda p: p.stat().st_size)
    victim = blobs[0]
    os.chmod(victim, 0o644)
    victim.write_bytes(b"not what it was")
    out, _ = pallet("system", "check", ok=False)
    assert f"blob sha256:{victim.name} does not match its digest" in out
    pallet("system", "check", "--repair")
    assert not victim.exists()


def _committed(root) -> set[str]:
    import json

    meta = json.loads((root / "snapshots" / "metadata.json").read_text())
    return {str(v["id"]) for v in meta["snapshots"].values() if v["kind"] == "committed"}
