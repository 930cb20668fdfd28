"""`--cache-to` / `--cache-from` for real: two state roots, a registry on 127.0.0.1
(Debian's docker-registry, from tests/integration/registry/servers.py) and layout dirs.

The proof that a RUN did not run in the second root is twofold: the plain progress says
CACHED for every step, and each RUN leaves a file in a cache mount when it runs (a cache
mount is not part of any cache key or layer), so the second root's cache mounts stay empty.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from pallet.testing import require_runtime, unmount_all_under
from pallet.testing.cli import BUSYBOX as BASE
from pallet.testing.cli import PalletCLI, make_context, step_statuses
# Every RUN leaves a file in a cache mount when it runs. One id per stage: two stages
# making the same new cache mount at once race in engine/cachemounts.py (_ensure's `.new`).
MARK = "--mount=type=cache,id=ran-{stage},target=/ran"


def _servers():
    path = Path(__file__).parent / "registry" / "servers.py"
    spec = importlib.util.spec_from_file_location("pallet_test_registry_servers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


servers = _servers()

TWO_STAGES = f"""\
FROM {BASE} AS builder
COPY a.txt /src/a.txt
RUN {MARK.format(stage="b")} mktemp /ran/ran.XXXXXX && tr a-z A-Z < /src/a.txt > /src/A.txt
RUN {MARK.format(stage="b")} mktemp /ran/ran.XXXXXX && cat /src/A.txt /src/A.txt > /src/AA.txt

FROM {BASE}
COPY b.txt /b.txt
RUN {MARK.format(stage="f")} mktemp /ran/ran.XXXXXX && cat /b.txt > /b.out
COPY --from=builder /src/AA.txt /AA.txt
RUN {MARK.format(stage="f")} mktemp /ran/ran.XXXXXX && cat /AA.txt /b.out > /all.txt
"""

ONE_STAGE = f"""\
FROM {BASE}
COPY b.txt /b.txt
RUN {MARK.format(stage="f")} mktemp /ran/ran.XXXXXX && echo other > /other.txt
"""


class Pallet(PalletCLI):
    """The pallet CLI against one state root (its own HOME and docker config too)."""

    def __init__(self, root: Path, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        super().__init__(root, HOME=str(home), DOCKER_CONFIG=str(home / ".docker"),
                         PALLET_CONFIG=str(home / "registries.json"))
        self.import_busybox(BASE)

    def digest(self, ctx: Path, *args) -> tuple[str, dict]:
        """(manifest digest, step statuses) of a build."""
        meta = self.root.parent / f"meta-{os.urandom(4).hex()}.json"
        proc = self.build(ctx, "--metadata-file", meta, *args)
        return json.loads(meta.read_text())["containerimage.digest"], step_statuses(proc.stderr)

    def runs(self) -> int:
        """How many RUN steps ran in this root (files left in the `ran` cache mount)."""
        return sum(1 for p in (self.root / "cachemounts").rglob("ran.*") if p.is_file())

    def has_blob(self, digest: str) -> bool:
        return (self.root / "content" / "blobs" / "sha256" / digest.split(":", 1)[1]).exists()


@pytest.fixture
def roots(tmp_path):
    require_runtime()
    made = []

    def make(name: str) -> Pallet:
        made.append(Pallet(tmp_path / name / "root", tmp_path / name / "home"))
        return made[-1]

    yield make
    left = unmount_all_under(tmp_path)
    assert not left, f"mounts left behind: {left}"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    reg = servers.Registry(tmp_path_factory.mktemp("cache-registry"))
    yield reg
    reg.stop()


@pytest.fixture
def ctx(tmp_path) -> Path:
    return make_context(tmp_path / "ctx", {"Dockerfile": TWO_STAGES, "a.txt": "abc\n", "b.txt": "b\n"})


def all_cached(result: dict) -> bool:
    return bool(result) and set(result.values()) == {"CACHED"}


def test_registry_cache_mode_max_rebuilds_two_stages_without_running_anything(roots, registry, ctx):
    ref = f"{registry.host}/cache/app:max"
    first = roots("first")
    digest, done = first.digest(ctx, "--cache-to", f"type=registry,ref={ref},mode=max")
    assert set(done.values()) == {"DONE"} and len(done) == 7, done
    assert first.runs() == 4

    second = roots("second")
    again, cached = second.digest(ctx, "--cache-from", f"type=registry,ref={ref}")
    assert all_cached(cached) and cached.keys() == done.keys(), cached
    assert second.runs() == 0
    assert again == digest


def test_hits_that_are_never_used_download_nothing(roots, ctx, tmp_path):
    cache = tmp_path / "cache"
    roots("first").build(ctx, "--cache-to", f"type=local,dest={cache},mode=max")
    second = roots("second")
    second.build(ctx, "--cache-from", f"type=local,src={cache}")
    index = json.loads((cache / "index.json").read_text())
    manifest = json.loads((cache / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]).read_text())
    layers = [d["digest"] for d in manifest["layers"]]
    have = [d for d in layers if second.has_blob(d)]
    # the final image's chain came down; the builder stage's own layers (only used by a
    # COPY --from that was itself a hit) did not
    assert 0 < len(have) < len(layers), (have, layers)


def test_local_cache_min_then_max(roots, ctx, tmp_path):
    cache = tmp_path / "cache"
    first = roots("first")
    digest, _ = first.digest(ctx, "--cache-to", f"type=local,dest={cache}")
    assert json.loads((cache / "index.json").read_text())["manifests"][0]["annotations"] == {
        "org.opencontainers.image.ref.name": "latest"}
    second = roots("second")
    again, result = second.digest(ctx, "--cache-from", f"type=local,src={cache}")
    assert again == digest
    # mode=min keeps only the final stage's chain: the builder stage runs again (2 RUNs),
    # its result equals the first build's, so the final stage's steps hit
    assert second.runs() == 2
    assert [s for n, s in result.items() if n.startswith("[stage-1")] == ["CACHED"] * 4, result

    first.build(ctx, "--cache-to", f"type=local,dest={cache},mode=max")
    third = roots("third")
    assert third.digest(ctx, "--cache-from", f"type=local,src={cache}")[0] == digest
    assert third.runs() == 0


def test_inline_cache_is_read_back_from_the_pushed_image(roots, registry, tmp_path):
    ctx = make_context(tmp_path / "one", {"Dockerfile": ONE_STAGE, "b.txt": "b\n"})
    image = f"{registry.host}/cache/inline:1"
    first = roots("first")
    digest, _ = first.digest(ctx, "--cache-to", "type=inline", "-t", image, "--push")
    second = roots("second")
    again, result = second.digest(ctx, "--cache-from", image, "--cache-to", "type=inline")
    assert all_cached(result) and second.runs() == 0, result
    assert again == digest


def test_two_builds_exporting_to_one_ref_merge(roots, registry, ctx, tmp_path):
    """Stand-in for several platforms under one ref: two different builds' mode=max caches
    at one ref both stay usable (multi-platform builds are not in pallet yet)."""
    other = make_context(tmp_path / "one", {"Dockerfile": ONE_STAGE, "b.txt": "b\n"})
    ref = f"{registry.host}/cache/merged:c"
    first = roots("first")
    d1, _ = first.digest(ctx, "--cache-to", f"type=registry,ref={ref},mode=max")
    d2, _ = first.digest(other, "--cache-to", f"type=registry,ref={ref},mode=max")
    fresh = roots("fresh")
    assert fresh.digest(ctx, "--cache-from", ref)[0] == d1
    assert fresh.digest(other, "--cache-from", ref)[0] == d2
    assert fresh.runs() == 0


def test_unreachable_registry_for_cache_from_is_a_warning_and_a_full_build(roots, ctx):
    port = servers.free_port()
    p = roots("first")
    proc = p.build(ctx, "--cache-from", f"type=registry,ref=127.0.0.1:{port}/x:cache")
    assert f"WARNING: cache import from 127.0.0.1:{port}/x:cache failed, building without it" in proc.stderr
    assert "connection refused" in proc.stderr
    assert p.runs() == 4


def test_unreachable_registry_for_cache_to_fails_the_build(roots, ctx):
    port = servers.free_port()
    p = roots("first")
    proc = p.build(ctx, "--cache-to", f"type=registry,ref=127.0.0.1:{port}/x:cache", check=False)
    assert proc.returncode != 0
    assert f"error: failed to export cache to 127.0.0.1:{port}/x:cache:" in proc.stderr
    assert "Traceback" not in proc.stderr
    ok = p.build(ctx, "--cache-to", f"type=registry,ref=127.0.0.1:{port}/x:cache,ignore-error=true")
    assert "WARNING: failed to export cache to" in ok.stderr


def test_missing_local_dir_for_cache_from_is_a_warning(roots, ctx, tmp_path):
    p = roots("first")
    proc = p.build(ctx, "--cache-from", f"type=local,src={tmp_path / 'nothing'}")
    assert f"WARNING: local cache import at {tmp_path / 'nothing'} not found" in proc.stderr


@pytest.mark.parametrize("flag,value,message", [
    ("--cache-to", "type=regsitry,ref=x/y:z", 'error: unknown cache type "regsitry" for --cache-to'
                                             ' (did you mean "registry"?)'),
    ("--cache-from", "type=local,source=/x", 'error: unknown attribute "source" for --cache-from type=local'),
], ids=["type", "attribute"])
def test_bad_cache_flags_fail_before_building(roots, ctx, flag, value, message):
    p = roots("first")
    proc = p.build(ctx, flag, value, check=False)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert p.runs() == 0 and "Traceback" not in proc.stderr


def test_an_imported_chain_becomes_local_once_used(roots, ctx, tmp_path):
    cache = tmp_path / "cache"
    roots("first").build(ctx, "--cache-to", f"type=local,dest={cache},mode=max")
    second = roots("second")
    second.build(ctx, "--cache-from", f"type=local,src={cache}")
    # no --cache-from now: the final chain's records were kept when it was unpacked
    result = step_statuses(second.build(ctx).stderr)
    assert [s for n, s in result.items() if n.startswith("[stage-1")] == ["CACHED"] * 4, result
    # the builder stage was never unpacked (its COPY --from hit), so it is not local: it
    # runs, gives the same key, and the final stage still hits
    assert [s for n, s in result.items() if n.startswith("[builder")] == ["DONE"] * 3, result


MULTI = """\
FROM scratch
ARG TARGETARCH
WORKDIR /w-$TARGETARCH
COPY b.txt .
"""


def test_caches_of_two_platforms_under_one_ref_keep_both(roots, registry, tmp_path):
    ctx = make_context(tmp_path / "multi", {"Dockerfile": MULTI, "b.txt": "b\n"})
    ref = f"{registry.host}/cache/multi:c"
    platforms = "--platform=linux/amd64,linux/arm64"
    first = roots("first")
    digest, done = first.digest(ctx, platforms, "--cache-to", f"type=registry,ref={ref},mode=max")
    assert len(done) == 4 and set(done.values()) == {"DONE"}, done  # WORKDIR + COPY, twice
    second = roots("second")
    again, cached = second.digest(ctx, platforms, "--cache-from", ref)
    assert all_cached(cached) and len(cached) == 4, cached
    assert again == digest


def test_inline_cache_of_each_platform(roots, registry, tmp_path):
    """Each platform's image config carries its own inline cache, as BuildKit writes it, so
    a rebuild from the pushed index hits on every platform."""
    ctx = make_context(tmp_path / "multi", {"Dockerfile": MULTI, "b.txt": "b\n"})
    image = f"{registry.host}/cache/inline-multi:1"
    platforms = "--platform=linux/amd64,linux/arm64"
    first = roots("first")
    digest, done = first.digest(ctx, platforms, "--cache-to", "type=inline", "-t", image, "--push")
    assert len(done) == 4 and set(done.values()) == {"DONE"}, done
    second = roots("second")
    again, cached = second.digest(ctx, platforms, "--cache-from", image, "--cache-to", "type=inline")
    assert all_cached(cached) and len(cached) == 4, cached
    assert again == digest
