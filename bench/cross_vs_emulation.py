"""Cross-compiling vs emulated multi-platform builds: figures and a ratio from one run (not a test).

    sudo .venv/bin/python bench/cross_vs_emulation.py [--repeat N] [--loops N]

The same CPU-bound step (a busybox shell loop and a sha256sum of 32 MB) built for
linux/arm64 and linux/arm/v7, two ways, on the busybox:multi index (pallet.testing.platforms):

- cross:     `FROM --platform=$BUILDPLATFORM busybox:multi` + `ARG TARGETARCH`: the step runs
             natively once per target platform, as the guide's Go cross-compilation does;
- emulation: `FROM busybox:multi`: the step runs the target's busybox under qemu-user.

Each build is `--no-cache` into a fresh state root; the median of --repeat runs is shown.
Needs root, runc, qemu-user-static (the emulators are registered if missing) and the
busybox-static .debs for arm64 and armhf.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PALLET = [sys.executable, "-m", "pallet.cli.main"]
PLATFORMS = "linux/arm64,linux/arm/v7"
STEP = ("RUN i=0; while [ $i -lt {loops} ]; do i=$((i+1)); done; "
        "dd if=/dev/zero bs=1M count=32 2>/dev/null | sha256sum > /out && echo $TARGETARCH >> /out")
DOCKERFILES = {
    "cross": "FROM --platform=$BUILDPLATFORM busybox:multi AS build\nARG TARGETARCH\n{step}\n"
             "FROM scratch\nCOPY --from=build /out /\n",
    "emulation": "FROM busybox:multi AS build\nARG TARGETARCH\n{step}\n"
                 "FROM scratch\nCOPY --from=build /out /\n",
}


def setup(root: Path) -> None:
    from pallet.emulation import check_platform, install
    from pallet.image.local import LocalImages
    from pallet.state.root import StateRoot
    from pallet.testing.platforms import make_multi_busybox

    missing = [p for p in PLATFORMS.split(",") if not check_platform(p).ok]
    if missing:
        print(f"registering emulators for {', '.join(missing)}")
        install(missing)
    os.environ["PALLET_ROOT"] = str(root)
    make_multi_busybox(LocalImages.open(StateRoot.default()))


def build(work: Path, name: str, loops: int) -> float:
    context = work / name
    context.mkdir(exist_ok=True)
    (context / "Dockerfile").write_text(DOCKERFILES[name].format(step=STEP.format(loops=loops)))
    out = work / f"out-{name}"
    start = time.perf_counter()
    proc = subprocess.run([*PALLET, "build", "-q", "--no-cache", f"--platform={PLATFORMS}",
                           "-o", f"type=local,dest={out},mode=delete", str(context)],
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{name} build failed:\n{proc.stderr}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loops", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pallet-bench-cross-") as tmp:
        work = Path(tmp)
        setup(work / "root")
        times = {name: statistics.median(build(work, name, args.loops) for _ in range(args.repeat))
                 for name in DOCKERFILES}
    print(f"{'build':<12}{'median s':>10}   ({PLATFORMS}, {args.repeat} runs, --no-cache)")
    for name, seconds in times.items():
        print(f"{name:<12}{seconds:>10.2f}")
    print(f"emulation / cross = {times['emulation'] / times['cross']:.1f}x")


if __name__ == "__main__":
    main()
