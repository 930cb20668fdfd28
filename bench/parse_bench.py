"""Frontend benchmark: parse + instructions + stages + target resolution.

Generates a 2,000-instruction Dockerfile with 50 stages (mixed instructions, continuation
lines, heredocs, ARGs, COPY --from) and prints the best of N runs in ms and its ratio to
the 50 ms budget. `--profile` also prints the top functions by own time.

    .venv/bin/python bench/parse_bench.py [--runs 15] [--profile]
"""

from __future__ import annotations

import argparse
import time

BUDGET_MS = 50.0
STAGES = 50
PER_STAGE = 40  # instructions per stage, FROM included


def stage_lines(i: int) -> list[str]:
    prev = f"s{i - 1}" if i else "scratch"
    lines = [f"# s{i} stage number {i}", f"FROM --platform=$BUILDPLATFORM ${{BASE}}:{i} AS s{i}"]
    body = [
        f"ARG V{i}=${{VERSION}}-{i}",
        f"ENV PATH=/opt/s{i}/bin:$PATH HOME=/home/s{i}",
        f"WORKDIR /src/s{i}",
        f'LABEL org.example.stage="s{i}" org.example.v="$V{i}"',
        "RUN set -eux; \\\n    apt-get update; \\\n    apt-get install -y curl git; \\\n"
        "    rm -rf /var/lib/apt/lists/*",
        f"RUN --mount=type=cache,target=/root/.cache --mount=from={prev},target=/p make -j4",
        "RUN <<EOT\nset -e\necho one\necho two\nEOT",
        f"COPY --from={prev} /out /in/{i}",
        f"COPY --chown=1000:1000 --chmod=755 src/{i} /src/{i}/",
        'CMD ["/bin/app", "--serve"]',
        "EXPOSE 8080/tcp",
        f"USER 1000:1000",
    ]
    while len(lines) < PER_STAGE + 1:
        lines.append(body[(len(lines) - 2) % len(body)])
    return lines


def make_dockerfile() -> str:
    head = ["# syntax=docker/dockerfile:1", "ARG BASE=debian", "ARG VERSION=1.0"]
    return "\n".join(head + [l for i in range(STAGES) for l in stage_lines(i)]) + "\n"


def frontend_once(text: str) -> None:
    from pallet.dockerfile.frontend import resolve, stage
    from pallet.dockerfile.parser import parse

    resolve(stage(parse(text)), build_platform="linux/amd64")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--profile", action="store_true")
    opts = ap.parse_args()
    text = make_dockerfile()
    from pallet.dockerfile.parser import parse

    count = len(parse(text).nodes)
    frontend_once(text)  # warm imports and caches
    best = min(_timed(text) for _ in range(opts.runs))
    print(f"{count} instructions, {STAGES} stages: best of {opts.runs} = {best:.1f} ms "
          f"({best / BUDGET_MS:.2f}x the {BUDGET_MS:.0f} ms budget)")
    if opts.profile:
        _profile(text)


def _timed(text: str) -> float:
    start = time.perf_counter()
    frontend_once(text)
    return (time.perf_counter() - start) * 1000


def _profile(text: str) -> None:
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.runcall(frontend_once, text)
    pstats.Stats(prof).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
