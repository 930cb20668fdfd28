"""Multi-platform conversion (engine/platforms.py) and emulator detection (pallet.emulation),
with a fake image resolver and a fake binfmt_misc directory: no root, no runc."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from pallet.dockerfile import frontend
from pallet.image.platform import host_platform
from pallet.emulation.arches import emulator_for, emulator_named
from pallet.emulation.binfmt import Binfmt, parse_entry
from pallet.emulation.check import EmulatorMissingError, check_platform, install, status
from pallet.engine.convert import ResolvedImage
from pallet.engine.platforms import check_emulation, convert_platforms
from pallet.graph.ops import ContextSource

HOST = str(host_platform())
FOREIGN = "linux/arm64" if HOST != "linux/arm64" else "linux/amd64"
PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7"]

AARCH64_ENTRY = """enabled
interpreter /usr/bin/qemu-aarch64-static
flags: OCF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
"""
JAR_ENTRY = "enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n"

CROSS = """\
FROM --platform=$BUILDPLATFORM busybox AS base
RUN echo base > /base

FROM base AS build
ARG TARGETARCH
RUN echo "$TARGETARCH" > /arch

FROM scratch AS binaries
COPY --from=build /arch /
"""


class FakeResolver:
    """Every image is an index with one manifest per platform; records what was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str | None]] = []

    def resolve(self, ref: str, platform: str | None) -> ResolvedImage:
        self.asked.append((ref, platform))
        plat = platform or HOST
        os_, arch, *variant = plat.split("/")
        config = {"os": os_, "architecture": arch, "config": {"Env": ["PATH=/bin"]},
                  "rootfs": {"type": "layers", "diff_ids": []}}
        if variant:
            config["variant"] = variant[0]
        digest = "sha256:" + f"{abs(hash(plat)):064x}"[-64:]
        return ResolvedImage(f"docker.io/library/{ref}:latest", digest, config)


def _convert(text: str, platforms: list[str], target: str | None = None):
    staged = frontend.stage(frontend.load_dockerfile("Dockerfile", text.encode()))
    options = SimpleNamespace(platforms=platforms, target=target, build_args={},
                              network="default")
    plan = frontend.resolve(staged, target, {}, target_platform=(platforms or [None])[0])
    resolver = FakeResolver()
    builds = convert_platforms(plan, options, resolver=resolver,
                               context=ContextSource(path="/nonexistent"), epoch=0)
    return builds, resolver


def _fake_binfmt(tmp_path, entries: dict[str, str]) -> Binfmt:
    (tmp_path / "register").write_text("")
    (tmp_path / "status").write_text("enabled\n")
    for name, text in entries.items():
        (tmp_path / name).write_text(text)
    return Binfmt(str(tmp_path), marker_dir=str(tmp_path / "markers"))


# -- conversion per platform ------------------------------------------------------------
def test_pinned_stage_is_one_op_for_every_platform():
    builds, _ = _convert(CROSS, PLATFORMS, target="build")
    base_ops = {b.converter.results[0].op.digest() for b in builds}
    assert len(base_ops) == 1  # the Solver dedupes it: built once
    assert len({b.op.digest() for b in builds}) == 3  # TARGETARCH forks the build stage


def test_target_args_reach_only_stages_that_declare_them():
    builds, _ = _convert(CROSS, PLATFORMS, target="build")
    envs = [dict(e.split("=", 1) for e in b.op.env) for b in builds]
    assert [e["TARGETARCH"] for e in envs] == ["amd64", "arm64", "arm"]
    base_env = dict(e.split("=", 1) for e in builds[0].converter.results[0].op.env)
    assert "TARGETARCH" not in base_env


def test_unpinned_from_resolves_the_target_platform():
    builds, resolver = _convert("FROM busybox\nRUN true\n", PLATFORMS)
    assert [p for _, p in resolver.asked] == PLATFORMS
    assert [b.image().architecture for b in builds] == ["amd64", "arm64", "arm"]
    assert builds[2].image().variant == "v7"


def test_scratch_and_pinned_targets_get_the_target_platform_in_their_config():
    builds, _ = _convert(CROSS, PLATFORMS, target="binaries")
    assert [(b.image().os, b.image().architecture, b.image().variant) for b in builds] == [
        ("linux", "amd64", ""), ("linux", "arm64", ""), ("linux", "arm", "v7")]
    builds, _ = _convert(CROSS, ["linux/arm64"], target="build")  # pinned to the host
    assert builds[0].target.image.architecture == host_platform().architecture
    assert builds[0].image().architecture == "arm64"


def test_no_platform_keeps_the_host_and_unprefixed_step_names():
    builds, resolver = _convert("FROM busybox\nRUN true\n", [])
    assert resolver.asked == [("busybox", None)]
    assert builds[0].platform == "" and builds[0].op.meta.name == "[2/2] RUN true"


def test_step_names_carry_the_platform_when_several_are_built():
    builds, _ = _convert(CROSS, PLATFORMS, target="build")
    assert builds[1].op.meta.name == '[linux/amd64->arm64 build 2/2] RUN echo "$TARGETARCH" > /arch'
    assert builds[1].converter.results[0].op.meta.name.startswith(f"[{HOST} base 2/2]")


def test_run_platforms_are_what_the_executables_are():
    builds, _ = _convert(CROSS, PLATFORMS, target="binaries")
    assert all(set(b.converter.run_platforms) == {HOST} for b in builds)
    builds, _ = _convert("FROM busybox\nRUN true\n", PLATFORMS)
    assert [list(b.converter.run_platforms) for b in builds] == [[p] for p in PLATFORMS]


# -- binfmt_misc -------------------------------------------------------------------------
def test_parse_entry_and_match():
    entry = parse_entry("qemu-aarch64", AARCH64_ENTRY)
    assert entry.enabled and entry.flags == "OCF" and entry.interpreter.endswith("aarch64-static")
    assert entry.matches(emulator_for("linux/arm64").sample)
    assert not entry.matches(emulator_for("linux/arm/v7").sample)
    assert not parse_entry("jar", JAR_ENTRY).matches(emulator_for("linux/arm64").sample)


@pytest.mark.parametrize("name, want", [("aarch64", "aarch64"), ("qemu-arm", "arm"),
                                        ("linux/arm/v7", "arm"), ("arm64", "aarch64"),
                                        ("riscv64", "riscv64")], ids=str)
def test_emulator_named(name, want):
    assert emulator_named(name).name == want


def test_host_platform_is_native(tmp_path):
    assert check_platform(HOST, _fake_binfmt(tmp_path, {})).native


def test_foreign_platform_without_emulator(tmp_path):
    verdict = check_platform(FOREIGN, _fake_binfmt(tmp_path, {}))
    assert verdict.problem == (f"no emulator for {FOREIGN}: RUN steps of {FOREIGN} cannot run "
                               f"on this {HOST} machine")
    assert "pallet binfmt --install" in verdict.hint


def test_emulator_without_f_flag_is_not_usable(tmp_path):
    binfmt = _fake_binfmt(tmp_path, {"qemu-aarch64": AARCH64_ENTRY.replace("OCF", "OC")})
    verdict = check_platform("linux/arm64", binfmt)
    assert "without the F flag" in verdict.problem


def test_disabled_entry_is_ignored(tmp_path):
    binfmt = _fake_binfmt(tmp_path, {"qemu-aarch64": AARCH64_ENTRY.replace("enabled", "disabled")})
    assert not check_platform("linux/arm64", binfmt).ok


def test_registered_emulator_runs_its_platform(tmp_path):
    binfmt = _fake_binfmt(tmp_path, {"qemu-aarch64": AARCH64_ENTRY})
    assert check_platform("linux/arm64", binfmt).entry.name == "qemu-aarch64"
    listing = status(binfmt)
    assert "linux/arm64" in listing["supported"] and listing["emulators"] == ["qemu-aarch64"]


def test_platform_qemu_cannot_emulate(tmp_path):
    verdict = check_platform("windows/amd64" if HOST != "linux/amd64" else "linux/sparc64",
                             _fake_binfmt(tmp_path, {}))
    assert "qemu-user has none" in verdict.problem


def test_install_writes_the_register_line_with_f_flag(tmp_path, monkeypatch):
    binfmt = _fake_binfmt(tmp_path, {})
    monkeypatch.setattr("os.path.exists", lambda p: True)  # pretend qemu-user-static is here
    assert install(["aarch64"], binfmt) == ["qemu-aarch64"]
    line = (tmp_path / "register").read_text()
    assert line.startswith(":qemu-aarch64:M:0:\\x7f\\x45\\x4c\\x46") and line.endswith(
        ":/usr/bin/qemu-aarch64-static:CF")
    assert (tmp_path / "markers" / "qemu-aarch64").read_text().strip().endswith("aarch64-static")


def test_unregister_refuses_entries_pallet_did_not_make(tmp_path):
    from pallet.emulation.check import uninstall
    from pallet.errors import UserError

    binfmt = _fake_binfmt(tmp_path, {"qemu-aarch64": AARCH64_ENTRY})
    with pytest.raises(UserError, match="not registered by pallet"):
        uninstall("aarch64", binfmt)
    assert (tmp_path / "qemu-aarch64").read_text() == AARCH64_ENTRY


# -- the check before a build ------------------------------------------------------------
def test_check_emulation_points_at_the_first_foreign_run(tmp_path):
    text = "FROM busybox\nRUN uname -m\nRUN true\n"
    builds, _ = _convert(text, [HOST, FOREIGN])
    with pytest.raises(EmulatorMissingError) as info:
        check_emulation(builds, _fake_binfmt(tmp_path, {}))
    err = info.value
    assert err.message.startswith(f"no emulator for {FOREIGN}")
    assert [r.start for r in err.ranges] == [2]
    assert ">>> RUN uname -m" in err.render()
    assert "hint: " in err.render() and "pallet binfmt --install" in err.render()


def test_cross_compiling_build_needs_no_emulator(tmp_path):
    builds, _ = _convert(CROSS, PLATFORMS, target="binaries")
    check_emulation(builds, _fake_binfmt(tmp_path, {}))  # every RUN is on the build platform


def test_status_is_json_serialisable(tmp_path):
    json.dumps(status(_fake_binfmt(tmp_path, {"qemu-aarch64": AARCH64_ENTRY, "jar": JAR_ENTRY})))


def test_uninstall_removes_only_what_pallet_registered(tmp_path, monkeypatch):
    from pallet.emulation.check import uninstall

    binfmt = _fake_binfmt(tmp_path, {})
    monkeypatch.setattr("os.path.exists", lambda p: True)
    install(["aarch64"], binfmt)
    (tmp_path / "qemu-aarch64").write_text(AARCH64_ENTRY)  # what the kernel would show
    assert uninstall("linux/arm64", binfmt) == "qemu-aarch64"
    assert (tmp_path / "qemu-aarch64").read_text() == "-1"  # the kernel's removal request
    assert not (tmp_path / "markers" / "qemu-aarch64").exists()
