"""`pallet build --platform a,b,c`: emulated RUN steps, cross-compiling stages built once, an
index in the store, per-platform output directories, and the errors around them.

Base images: busybox for linux/amd64, linux/arm64 and linux/arm/v7 from Debian's
busybox-static .debs (pallet.testing.platforms), each imported with `pallet import
--platform`, joined into the index `busybox:multi`. Foreign RUN steps need qemu-user-static
registered in binfmt_misc: `require_emulation` registers the two emulators these tests use
(qemu-aarch64, qemu-arm) if nothing runs those platforms yet.
"""

import json
import os
import shutil
import subprocess
import tarfile

import pytest

from pallet.testing import require_runtime, require_tool, skip_or_fail
from pallet.testing.cli import make_context
from pallet.testing.platforms import (
    MULTI_PLATFORMS,
    busybox_binary,
    make_index,
    platform_tar,
    require_emulation,
)

ALL = ",".join(MULTI_PLATFORMS)
DIRS = ["linux_amd64", "linux_arm64", "linux_arm_v7"]
UNAME = {"linux_amd64": "x86_64", "linux_arm64": "aarch64", "linux_arm_v7": "armv7l"}
FILE_SAYS = {"linux_amd64": "x86-64", "linux_arm64": "ARM aarch64", "linux_arm_v7": "ARM, EABI5"}

EMULATED = """\
FROM busybox:multi
ARG TARGETPLATFORM
RUN uname -m > /arch && echo "$TARGETPLATFORM" > /platform
"""

# The guide's cross-compilation shape: the pinned stages run natively and are shared; the
# "compiler" picks the binary of $TARGETARCH; `binaries` is a scratch stage per platform.
CROSS = """\
FROM --platform=$BUILDPLATFORM busybox:multi AS base
RUN cat /proc/sys/kernel/random/uuid > /stamp

FROM base AS build
ARG TARGETOS TARGETARCH
COPY bins/ /bins/
RUN mkdir /out && echo "$TARGETOS/$TARGETARCH" > /out/target && uname -m > /out/built-on \\
 && cp /bins/$TARGETARCH /out/busybox && cp /stamp /out/stamp

FROM scratch AS binaries
COPY --from=build /out/ /
"""


@pytest.fixture(autouse=True)
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("PALLET_ROOT", str(tmp_path / "root"))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "root"


@pytest.fixture
def multi(pallet):
    """busybox:multi, made the way a user would: `pallet import --platform` per platform."""
    require_runtime()
    try:
        tars = {p: platform_tar(p) for p in MULTI_PLATFORMS}
    except FileNotFoundError as err:
        skip_or_fail([str(err)])
    names = []
    for platform, tar in tars.items():
        name = "busybox:multi-" + platform.replace("/", "-")
        pallet("import", "--platform", platform, str(tar), name)
        names.append(name)
    from pallet.image.local import LocalImages

    make_index(LocalImages.open(), "busybox:multi", names)
    return "busybox:multi"


def _context(tmp_path, text, bins=False):
    context = make_context(tmp_path / "ctx", {"Dockerfile": text})
    if bins:  # each architecture's busybox, named by GOARCH as $TARGETARCH says it
        (context / "bins").mkdir()
        for platform in MULTI_PLATFORMS:
            shutil.copy(busybox_binary(platform), context / "bins" / platform.split("/")[1])
    return str(context)


# -- emulation ---------------------------------------------------------------------------
def test_run_steps_of_each_platform_run_under_emulation(tmp_path, pallet, multi):
    require_emulation()
    pallet("build", "--progress=plain", f"--platform={ALL}", "--output=out",
           _context(tmp_path, EMULATED))
    out = tmp_path / "out"
    assert sorted(os.listdir(out)) == DIRS
    for d in DIRS:
        assert (out / d / "arch").read_text() == UNAME[d] + "\n"
        assert (out / d / "platform").read_text() == d.replace("_", "/") + "\n"


def test_step_names_say_the_platform(tmp_path, pallet, multi):
    require_emulation()
    _, _, err = pallet("build", "--progress=plain", f"--platform={ALL}", "-o", "out",
                       _context(tmp_path, EMULATED))
    for platform in MULTI_PLATFORMS:
        assert f"[{platform} 2/2] RUN uname -m" in err


def test_multi_platform_image_is_one_index_in_the_store(tmp_path, pallet, multi):
    require_emulation()
    pallet("build", "-q", f"--platform={ALL}", "-t", "mp:1", _context(tmp_path, EMULATED))
    _, out, _ = pallet("images", "mp")
    assert len(out.splitlines()) == 2  # header + one row for the index
    _, out, _ = pallet("inspect", "mp:1")
    data = json.loads(out)[0]
    assert data["Descriptor"]["mediaType"] == "application/vnd.oci.image.index.v1+json"
    platforms = [m["ImageData"]["Platform"] for m in data["Manifests"]]
    assert platforms == [{"architecture": "amd64", "os": "linux"},
                         {"architecture": "arm64", "os": "linux"},
                         {"architecture": "arm", "os": "linux", "variant": "v7"}]
    assert _config_platforms("mp:1") == [("linux", "amd64", ""), ("linux", "arm64", ""),
                                         ("linux", "arm", "v7")]


def _config_platforms(name):
    """(os, architecture, variant) of each manifest's config under the index `name`."""
    from pallet.content.base import read_blob
    from pallet.image.config import ImageConfig
    from pallet.image.local import LocalImages
    from pallet.image.manifest import Index, Manifest

    images = LocalImages.open()
    index = Index.from_bytes(read_blob(images.blobs, images.resolve(name).target.digest))
    out = []
    for desc in index.manifests:
        manifest = Manifest.from_bytes(read_blob(images.blobs, desc.digest))
        cfg = ImageConfig.from_bytes(read_blob(images.blobs, manifest.config.digest))
        out.append((cfg.os, cfg.architecture, cfg.variant or ""))
    return out


def test_from_platform_picks_the_base_from_the_index(tmp_path, pallet, multi):
    require_emulation(("linux/arm64",))
    text = "FROM --platform=linux/arm64 busybox:multi\nRUN uname -m > /arch\n"
    pallet("build", "-q", "-o", "out", _context(tmp_path, text))
    assert (tmp_path / "out" / "arch").read_text() == "aarch64\n"


def test_tar_output_is_split_per_platform(tmp_path, pallet, multi):
    require_emulation()
    pallet("build", "-q", f"--platform={ALL}", "-o", "type=tar,dest=out.tar",
           _context(tmp_path, EMULATED))
    with tarfile.open(tmp_path / "out.tar") as tar:
        names = set(tar.getnames())
        for d in DIRS:
            assert f"{d}/arch" in names
            assert tar.extractfile(f"{d}/arch").read().decode() == UNAME[d] + "\n"


# -- cross-compilation -------------------------------------------------------------------
def test_cross_compiling_stages_run_natively_once(tmp_path, pallet, multi, monkeypatch):
    require_tool("file")
    _no_emulators(tmp_path, monkeypatch)  # the pinned stages must not need one
    _, _, err = pallet("build", "--progress=plain", "--no-cache", f"--platform={ALL}",
                       "--target=binaries", "--output=bin", _context(tmp_path, CROSS, bins=True))
    out = tmp_path / "bin"
    assert sorted(os.listdir(out)) == DIRS
    stamps = {(out / d / "stamp").read_text() for d in DIRS}
    assert len(stamps) == 1  # the base stage ran once for all three platforms
    assert err.count("] RUN cat /proc/sys/kernel/random/uuid") == 1  # one vertex
    for d in DIRS:
        goarch = d.split("_")[1]
        assert (out / d / "target").read_text() == f"linux/{goarch}\n"
        assert (out / d / "built-on").read_text() == "x86_64\n"
        described = subprocess.run(["file", "-b", str(out / d / "busybox")], check=True,
                                   capture_output=True, text=True).stdout
        assert FILE_SAYS[d] in described, described


def _no_emulators(tmp_path, monkeypatch):
    """An empty binfmt_misc: no platform but the host's can run."""
    empty = tmp_path / "no-binfmt"
    empty.mkdir()
    (empty / "register").write_text("")
    monkeypatch.setenv("PALLET_BINFMT_MISC", str(empty))


# -- bad input ---------------------------------------------------------------------------
def test_foreign_run_without_emulator_fails_before_running(tmp_path, pallet, multi, monkeypatch):
    _no_emulators(tmp_path, monkeypatch)
    code, _, err = pallet("build", "--progress=plain", "--platform=linux/amd64,linux/arm64",
                          "-o", "out", _context(tmp_path, EMULATED), ok=False)
    assert code == 1
    assert "error: no emulator for linux/arm64: RUN steps of linux/arm64 cannot run on this " \
           "linux/amd64 machine" in err
    assert '   3 | >>> RUN uname -m > /arch && echo "$TARGETPLATFORM" > /platform' in err
    assert "hint: run `pallet binfmt --install` as root" in err
    assert "#" not in err.split("error:")[1]  # nothing ran: no step after the error
    assert "RUN uname" not in err.split("error:")[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flag", ["--load", "--output=type=docker,dest=x.tar"], ids=["load", "docker"])
def test_several_platforms_cannot_load(tmp_path, pallet, flag):
    code, _, err = pallet("build", f"--platform={ALL}", flag, _context(tmp_path, EMULATED), ok=False)
    assert code != 0
    assert "error: docker exporter does not currently support exporting manifest lists" in err
    assert "hint: " in err and "Traceback" not in err


@pytest.mark.parametrize("value, why", [
    ("bogus", 'invalid platform "bogus": unknown operating system or architecture'),
    ("linux/arm64,", 'invalid platform "linux/arm64,": empty platform in the list'),
    ("linux/arm/v7/x", 'invalid platform "linux/arm/v7/x": too many components'),
], ids=["unknown", "empty", "too-long"])
def test_unknown_platform_strings(tmp_path, pallet, value, why):
    code, _, err = pallet("build", f"--platform={value}", _context(tmp_path, EMULATED), ok=False)
    assert code != 0
    assert f"error: {why}" in err and "hint: use os/arch[/variant]" in err


def test_binfmt_lists_what_runs_here(pallet, tmp_path, monkeypatch):
    entry = ("enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: OCF\noffset 0\n"
             "magic 7f454c460201010000000000000000000200b700\n"
             "mask ffffffffffffff00fffffffffffffffffeffffff\n")
    fake = tmp_path / "binfmt"
    fake.mkdir()
    (fake / "register").write_text("")
    (fake / "qemu-aarch64").write_text(entry)
    monkeypatch.setenv("PALLET_BINFMT_MISC", str(fake))
    _, out, _ = pallet("binfmt")
    data = json.loads(out)
    assert data["supported"][0] == "linux/amd64" and "linux/arm64" in data["supported"]
    assert data["emulators"] == ["qemu-aarch64"]
    code, _, err = pallet("binfmt", "--uninstall", "aarch64", ok=False)
    assert code == 1 and "error: qemu-aarch64 was not registered by pallet; leaving it" in err
    assert (fake / "qemu-aarch64").read_text() == entry
