"""Fuzz the whole frontend: parse -> parse_stages -> resolve -> lint -> outline.

Inputs are real Dockerfiles (BuildKit's parser test files and the corpus) mutated line by
line, plus Dockerfile-flavoured noise. The property: only PalletErrors escape, each has a
message, and a DockerfileError's lines lie inside the file.
"""

from __future__ import annotations

import glob

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pallet.dockerfile import outline
from pallet.dockerfile.frontend import load_dockerfile, resolve, stage
from pallet.dockerfile.lint.checks import run_checks
from pallet.errors import DockerfileError, PalletError

SEEDS = sorted(glob.glob("/work/shared/conformance/buildkit/parser/testfiles/*/Dockerfile"))
SEEDS += sorted(glob.glob("/work/shared/corpus/dockerfiles/*"))[::6]
SEED_TEXTS = [open(p, "rb").read().decode("utf-8", "replace") for p in SEEDS]

FRAGMENTS = [
    "FROM alpine AS a", "FROM a", "FROM ${X:-scratch}", "FROM --platform=$BUILDPLATFORM b",
    "ARG X", "ARG X=1", "COPY --from=a /x /y", "COPY --from=0 / /", "COPY --from=9 / /",
    "RUN --mount=from=a,target=/t true", "RUN --mount=type=secret,id=s cat",
    "RUN <<EOF", "EOF", "\\", "# check=error=true", "# escape=`", "ENV A B", "WORKDIR rel",
    "CMD x", "EXPOSE 1:2/TCP", "HEALTHCHECK", "ONBUILD RUN x", "${", "$((", "--", "\t",
    "FROM x AS x", "COPY --from=$X a b", "ARG BUILDKIT_DOCKERFILE_CHECK=skip=all",
]


def _mutate(lines: list[str], ops: list[tuple[int, int, int]], junk: list[str]) -> str:
    for kind, a, b in ops:
        if not lines:
            lines = [junk[a % len(junk)]]
        i, j = a % len(lines), b % len(lines)
        if kind == 0:
            del lines[i]
        elif kind == 1:
            lines.insert(j, lines[i])
        elif kind == 2:
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == 3:
            lines.insert(i, junk[b % len(junk)])
        else:
            cut = b % (len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + junk[a % len(junk)] + lines[i][cut:]
    return "\n".join(lines)


dockerfiles = st.builds(
    lambda seed, ops, junk: _mutate(SEED_TEXTS[seed].split("\n"), ops, junk),
    st.integers(0, len(SEED_TEXTS) - 1),
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 10_000), st.integers(0, 10_000)),
             max_size=8),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), min_size=1,
             max_size=4),
)


def run_frontend(text: str, target: str | None) -> None:
    df = load_dockerfile("Dockerfile", text.encode("utf-8", "surrogatepass"))
    staged = stage(df)
    run_checks(staged, target=target)
    outline.list_targets(staged)
    outline.outline(resolve(staged, target, {"X": "a"}))


def check_error(err: PalletError, text: str) -> None:
    assert err.message
    if isinstance(err, DockerfileError):
        count = max(1, len(text.split("\n")))
        for r in err.ranges:
            assert 1 <= r.start <= r.end <= count, (err.message, r, count)


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(dockerfiles, st.sampled_from([None, "a", "0", "build", "nope"]))
def test_frontend_raises_only_pallet_errors(text, target):
    try:
        run_frontend(text, target)
    except PalletError as err:
        check_error(err, text)
