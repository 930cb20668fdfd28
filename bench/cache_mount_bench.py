"""Issue 4's cache-mount benchmark: the guide's example rebuilt with --no-cache after a
one-line edit, with cache mounts on Go's module and build caches, and with them removed.

Prints both times and their ratio, measured in one run (not a test). Needs root, runc and
the Go base image (made once with scripts/make-golang-image; the tarball is cached).

    python bench/cache_mount_bench.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PALLET = str(Path(sys.executable).with_name("pallet"))

# The guide's final build stage, with Go's build cache mounted too (what issue 4 measures).
WITH_MOUNTS = """\
FROM golang:1.19-bookworm AS base
WORKDIR /src
RUN --mount=type=cache,target=/go/pkg/mod/ \\
    --mount=type=bind,source=go.sum,target=go.sum \\
    --mount=type=bind,source=go.mod,target=go.mod \\
    go mod download -x

FROM base AS build-client
RUN --mount=type=cache,target=/go/pkg/mod/ \\
    --mount=type=cache,target=/root/.cache/go-build \\
    --mount=type=bind,target=. \\
    go build -v -o /bin/client ./cmd/client

FROM scratch AS client
COPY --from=build-client /bin/client /bin/
"""

# The same build with the cache mounts removed: everything is rebuilt every time.
WITHOUT_MOUNTS = """\
FROM golang:1.19-bookworm AS base
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download -x
COPY . .

FROM base AS build-client
RUN go build -v -o /bin/client ./cmd/client

FROM scratch AS client
COPY --from=build-client /bin/client /bin/
"""


def build(app: Path, dockerfile: str, env: dict, *no_cache: str) -> float:
    (app / "Dockerfile").write_text(dockerfile)
    start = time.perf_counter()
    subprocess.run([PALLET, "build", *no_cache, "--progress=quiet", "--target=client", str(app)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def edit(app: Path, n: int) -> None:
    """A one-line change to the client's source (its package must be recompiled)."""
    ui = app / "cmd/client/ui.go"
    ui.write_text(ui.read_text() + f"\nvar edit{n} = {n}\n")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="pallet-bench-", dir="/var/tmp"))
    env = dict(os.environ, PALLET_ROOT=str(work / "root"))
    try:
        subprocess.run(["bash", str(REPO / "scripts/make-golang-image"), "--tar-cache",
                        os.environ.get("PALLET_E2E_CACHE", "/tmp/pallet-e2e-cache")],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        app = work / "app"
        shutil.copytree(REPO / "examples/buildme", app)
        times = {}
        for label, dockerfile in (("with cache mounts", WITH_MOUNTS),
                                  ("cache mounts removed", WITHOUT_MOUNTS)):
            build(app, dockerfile, env)  # warm: fills the cache mounts
            edit(app, len(times) + 1)
            times[label] = build(app, dockerfile, env, "--no-cache")
            print(f"  --no-cache rebuild after a one-line edit, {label:<22} {times[label]:7.2f} s")
        ratio = times["cache mounts removed"] / times["with cache mounts"]
        print(f"    without / with cache mounts {ratio:24.2f} x")
    finally:
        subprocess.run([PALLET, "builder", "prune", "-af"], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
