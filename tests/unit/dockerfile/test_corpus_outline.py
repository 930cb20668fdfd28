"""Every real-world Dockerfile in the shared corpus goes through `--call=outline`.

Files BuildKit reads normally must print an outline (exit 0); files marked UNUSUAL in
SOURCES.tsv (which BuildKit rejects or reads oddly) may instead fail, but only with a
rendered pallet error, never a traceback.
"""

from __future__ import annotations

import csv

import pytest

from pallet.cli.main import main

CORPUS = "corpus/dockerfiles"

# Files BuildKit also refuses to outline as they stand: a global ARG without a default
# names the base image (the project passes it with --build-arg), or an instruction is
# invalid (a parser test file). file -> the start of the error pallet must give.
REJECTED = {
    "moby__buildkit__frontend__dockerfile__parser__testfiles__health__Dockerfile":
        "dockerfile parse error on line 4: HEALTHCHECK requires at least one argument",
    "home-assistant__core__Dockerfile": "base name (${BUILD_FROM}) should not be blank",
    "kubernetes__kubernetes__build__pause__Dockerfile_windows":
        "base name (${BASE}) should not be blank",
    "siderolabs__go-blockdevice__Dockerfile": "base name (${TOOLCHAIN}) should not be blank",
    "AThousandShips__build-containers__Dockerfile.windows":
        'failed to parse stage name "godot-fedora:": invalid reference format',
    "0x2a2a2a__asahi-remix-atomic__Containerfile":
        'failed to parse stage name "quay.io/fedora/fedora-bootc:"',
    "getsentry__self-hosted__sentry__Dockerfile": "base name (${SENTRY_IMAGE}) should not be blank",
}


def _corpus(shared: str) -> list[tuple[str, bool]]:
    with open(f"{shared}/corpus/SOURCES.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(r["file"], r["notes"].startswith("UNUSUAL") or "UNUSUAL:" in r["notes"])
            for r in rows]


FILES = _corpus("/work/shared")


@pytest.mark.parametrize("name,unusual", FILES, ids=[f[0] for f in FILES])
def test_outline_of_corpus_file(shared_dir, tmp_path, capsys, name, unusual):
    path = f"{shared_dir}/{CORPUS}/{name}"
    code = main(["build", "--call=outline", "-f", path, str(tmp_path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    if name in REJECTED:
        assert code == 1 and err.startswith("error: " + REJECTED[name]), err
    elif unusual:
        assert code == 0 or err.startswith("error: ")
    else:
        assert code == 0, err
