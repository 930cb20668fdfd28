"""`pallet build` as users run it (the CLI as a subprocess) on a busybox base: the cache
behaviour, parallel stages, determinism and the errors of issue 3's acceptance list.

Each test gets a fresh state root (PALLET_ROOT under tmp_path) with busybox:local imported
from the session's busybox rootfs tar (pallet.testing), so the tests are independent.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from pallet.testing import mounts_under, require_runtime
from pallet.testing.cli import PALLET, PalletCLI, busybox_cli, image_files, make_context, step_statuses


@pytest.fixture
def pallet(tmp_path) -> PalletCLI:
    yield from busybox_cli(tmp_path)


DOCKERFILE = """\
FROM busybox:local
COPY a.txt /a.txt
RUN cat /a.txt > /a.out
COPY b.txt /b.txt
RUN cat /a.txt /b.txt > /ab.out
"""


@pytest.fixture
def ctx(tmp_path) -> Path:
    return make_context(tmp_path / "ctx", {"Dockerfile": DOCKERFILE, "a.txt": "a\n", "b.txt": "b\n"})


def test_rebuild_without_change_is_all_cached(pallet, ctx):
    first = step_statuses(pallet.build(ctx).stderr)
    assert set(first.values()) == {"DONE"} and len(first) == 4, first
    again = step_statuses(pallet.build(ctx).stderr)
    assert again == {name: "CACHED" for name in first}


def test_editing_a_file_reruns_only_the_steps_after_its_copy(pallet, ctx):
    pallet.build(ctx)
    (ctx / "b.txt").write_text("b, edited\n")
    assert list(step_statuses(pallet.build(ctx).stderr).values()) == ["CACHED", "CACHED", "DONE", "DONE"]
    (ctx / "a.txt").write_text("a, edited\n")
    assert list(step_statuses(pallet.build(ctx).stderr).values()) == ["DONE"] * 4


def test_touching_mtimes_keeps_the_cache(pallet, ctx):
    pallet.build(ctx)
    later = time.time() + 3600
    for path in ctx.iterdir():
        os.utime(path, (later, later))
    assert set(step_statuses(pallet.build(ctx).stderr).values()) == {"CACHED"}


def test_no_cache_reruns_everything(pallet, ctx):
    pallet.build(ctx)
    assert set(step_statuses(pallet.build(ctx, "--no-cache").stderr).values()) == {"DONE"}


PARALLEL = """\
FROM busybox:local AS one
RUN sleep 2 && echo one > /one

FROM busybox:local AS two
RUN sleep 2 && echo two > /two

FROM busybox:local
COPY --from=one /one /
COPY --from=two /two /
"""


def test_independent_stages_run_at_once(pallet, tmp_path):
    ctx = make_context(tmp_path / "ctx", {"Dockerfile": PARALLEL})
    start = time.monotonic()
    out = pallet.build(ctx)
    took = time.monotonic() - start
    assert set(step_statuses(out.stderr).values()) == {"DONE"}
    assert took < 3.0, f"two `sleep 2` stages took {took:.2f} s: not run in parallel"


BIG_LAYERS = """\
FROM busybox:local AS one
RUN mkdir /d && for i in $(seq 1 2500); do echo "one $i" > /d/f$i; done

FROM busybox:local AS two
RUN head -c 12000000 /dev/urandom > /big && sha256sum /big > /big.sum

FROM scratch
COPY --from=one /d /d
COPY --from=two /big /big.sum /
"""


def test_big_layers_of_parallel_stages(pallet, tmp_path):
    """Diffs over 2,000 files or 8 MiB are archived by a forked child (image/layers.py),
    here the two RUN diffs from two solver threads at once; the saved images' layer blobs
    hold what the steps wrote."""
    import hashlib

    ctx = make_context(tmp_path / "ctx", {"Dockerfile": BIG_LAYERS})
    pallet.build(ctx, "-t", "big")
    for stage in ("one", "two"):  # all cached: the images take the layers just written
        pallet.build(ctx, "--target", stage, "-t", stage)
    final, one, two = (image_files(pallet, name, tmp_path) for name in ("big", "one", "two"))
    for fs in (final, one):
        assert len(list((fs / "d").glob("f*"))) == 2500
        assert (fs / "d/f1234").read_bytes() == b"one 1234\n"
    for fs in (final, two):
        big = (fs / "big").read_bytes()
        assert (fs / "big.sum").read_bytes().split()[0].decode() == hashlib.sha256(big).hexdigest()
        assert len(big) == 12_000_000
    assert not list((pallet.root / "content" / "ingest").iterdir())


TARGETS = """\
FROM busybox:local AS base
RUN echo base > /base

FROM base AS client
RUN echo client > /client

FROM base AS server
RUN echo server > /server
"""


def test_images_lists_the_built_targets(pallet, tmp_path):
    ctx = make_context(tmp_path / "ctx", {"Dockerfile": TARGETS})
    pallet.build(ctx, "--target=client", "-t", "demo-client")
    out = pallet.build(ctx, "--target=server", "-t", "demo-server")
    assert "[client" not in out.stderr  # the server target does not build the client stage
    listed = pallet("images").stdout
    for name in ("demo-client", "demo-server", "busybox"):
        assert re.search(rf"^{name}\s+(latest|local)\s+[0-9a-f]{{12}}\s", listed, re.M), listed
    assert pallet("images", "demo-server").stdout.count("\n") == 2  # header + one row


def test_same_inputs_give_the_same_digest_in_a_fresh_root(tmp_path):
    """Determinism: all caches gone (another state root), the build redone: the same image.
    The files' mtimes differ too: they are after the base image's time, and layer times
    are clamped to it (DESIGN.md, "Deterministic by default")."""
    require_runtime()
    digests = []
    ctx = make_context(tmp_path / "ctx", {"Dockerfile": DOCKERFILE, "a.txt": "a\n", "b.txt": "b\n"})
    for i in range(2):
        p = PalletCLI(tmp_path / f"root{i}")
        p.import_busybox()
        for path in ctx.iterdir():
            os.utime(path, (time.time() - 1000 * i,) * 2)
        iid = tmp_path / f"iid{i}"
        p.build(ctx, "--iidfile", iid, "-t", "same")
        manifest = json.loads(p("inspect", "same").stdout)[0]["Descriptor"]["digest"]
        digests.append((iid.read_text(), manifest))
    assert digests[0][0].startswith("sha256:")
    assert digests[0] == digests[1]


# -- bad input: a clear message, exit code 1, no traceback, the store still works --------

BAD_INPUTS = [
    pytest.param(
        "FROM busybox:local\nCOPY nope.txt /\n", [],
        ['"/nope.txt": not found', "Dockerfile:2", ">>> COPY nope.txt /"],
        id="missing-copy-source"),
    pytest.param(
        "FROM busybox:local\nRUN echo first; echo second; echo third >&2; exit 3\n", [],
        ['process "/bin/sh -c echo first; echo second; echo third >&2; exit 3" did not complete '
         "successfully: exit code: 3",
         " > [2/2] RUN echo first; echo second; echo third >&2; exit 3:",
         "second", "third", "Dockerfile:2", ">>> RUN echo first"],
        id="failing-run"),
    pytest.param(
        "FROM busybox:local AS build\nRUN true\nFROM busybox:local\nCOPY --from=bulid /x /\n", [],
        ["bulid", "Dockerfile:4", ">>> COPY --from=bulid /x /", "pallet import"],
        id="unknown-from-stage"),
    pytest.param(
        "FROM busybox:local AS build\nRUN true\n", ["--target=bulid"],
        ['target stage "bulid" could not be found (did you mean "build"?)'],
        id="unknown-target"),
    pytest.param(
        "FROM nosuchimage:1\nRUN true\n", [],
        ["nosuchimage:1", "Dockerfile:1", "pallet load", "pallet import", "pallet pull"],
        id="missing-base-image"),
    pytest.param(
        "FROM busybox:local\nCOPY ../secret.txt /\n", [],
        ["outside the build context", "Dockerfile:2", ">>> COPY ../secret.txt /"],
        id="copy-outside-context"),
]


@pytest.mark.parametrize("dockerfile, flags, expected", BAD_INPUTS)
def test_bad_input_is_a_clear_error(pallet, tmp_path, dockerfile, flags, expected):
    (tmp_path / "secret.txt").write_text("outside\n")
    ctx = make_context(tmp_path / "ctx", {"Dockerfile": dockerfile, "x": "x\n"})
    out = pallet.build(ctx, *flags, check=False)
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    error_part = out.stderr[out.stderr.index("\nerror: "):]
    for text in expected:
        assert text in error_part, f"{text!r} not in:\n{error_part}"
    _store_still_works(pallet, tmp_path)


def _store_still_works(pallet, tmp_path) -> None:
    ok = make_context(tmp_path / "ok", {"Dockerfile": "FROM busybox:local\nRUN echo ok > /ok\n"})
    pallet.build(ok, "-t", "after-error")
    assert "after-error" in pallet("images").stdout


def test_ctrl_c_stops_the_build_and_leaves_nothing_behind(pallet, tmp_path):
    ctx = make_context(tmp_path / "ctx", {"Dockerfile": "FROM busybox:local\nRUN echo started && sleep 30\n"})
    proc = subprocess.Popen([*PALLET, "build", "--progress=plain", str(ctx)], env=pallet.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        for line in proc.stderr:
            lines.append(line)
            if re.match(r"#\d+ [\d.]+ started$", line.strip()):
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(20), "the RUN step did not start:\n" + "".join(lines)
        assert len(_processes_rooted_in(pallet.root)) >= 2, "no runc + container process found"
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=25)
        reader.join(5)
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = "".join(lines)
    assert proc.returncode == 130, stderr
    assert time.monotonic() - start < 10
    assert "Traceback" not in stderr
    assert not mounts_under(pallet.root), "the step's mounts are still there"
    assert not _processes_rooted_in(pallet.root), "the container still runs"
    assert not os.listdir(pallet.root / "tmp"), "the runc bundle is still there"
    _store_still_works(pallet, tmp_path)


def _processes_rooted_in(path: Path) -> list[int]:
    """The `runc run` processes of bundles below `path` and all their descendants."""
    parents: dict[int, int] = {}
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        parents[int(pid)] = int(stat.rsplit(")", 1)[1].split()[1])
        if cmdline.startswith(("runc ", "/usr/sbin/runc ", "/usr/bin/runc ")) and str(path) in cmdline:
            found.add(int(pid))
    grew = True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in found} - found
        found |= more
        grew = bool(more)
    return sorted(found)
