"""pallet.image.platform: containerd's Parse + Normalize, Format and Only."""

from __future__ import annotations

import pytest

from pallet.image import platform as platforms
from pallet.image.platform import (
    Platform,
    compatible_platforms,
    host_platform,
    matches,
    normalize,
    parse_platform,
    parse_platforms,
    platform_args,
)
from pallet.errors import OptionError

AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64")

# (spec, formatted platform) on an x86_64 host
PARSE_CASES = [
    ("linux/amd64", "linux/amd64"),
    ("linux/arm64", "linux/arm64"),
    ("linux/arm64/v8", "linux/arm64"),  # containerd drops arm64's default variant
    ("linux/arm64/8", "linux/arm64"),
    ("linux/arm64/v9", "linux/arm64/v9"),
    ("linux/arm", "linux/arm/v7"),
    ("linux/arm/7", "linux/arm/v7"),
    ("linux/arm/v6", "linux/arm/v6"),
    ("linux/arm/5", "linux/arm/v5"),
    ("arm", "linux/arm/v7"),
    ("arm64", "linux/arm64"),
    ("amd64", "linux/amd64"),
    ("x86_64", "linux/amd64"),
    ("linux/x86-64", "linux/amd64"),
    ("aarch64", "linux/arm64"),
    ("armhf", "linux/arm/v7"),
    ("armel", "linux/arm/v6"),
    ("i386", "linux/386"),
    ("linux/amd64/v1", "linux/amd64"),
    ("linux/amd64/v3", "linux/amd64/v3"),
    ("Linux/AMD64", "linux/amd64"),
    ("macos/arm64", "darwin/arm64"),
    ("windows/amd64", "windows/amd64"),
    ("linux/riscv64", "linux/riscv64"),
    ("linux/s390x", "linux/s390x"),
    ("linux/ppc64le", "linux/ppc64le"),
    ("linux", "linux/amd64"),  # a lone OS takes the host's architecture
    ("local", "linux/amd64"),
    (" linux/arm64 ", "linux/arm64"),
]

BAD_SPECS = [
    ("", "not a valid operating system"),
    ("foo", "unknown operating system or architecture"),
    ("linux/*", "wildcards are not supported"),
    ("linux/", 'invalid platform "linux/": "" is not a valid platform component'),
    ("/amd64", "not a valid operating system"),
    ("linux/amd64/v8/extra", "too many components"),
    ("linux/am d64", "not a valid platform component"),
    ("windows(10.0.17763)/amd64", "not a valid operating system"),
]

# (want, have, usable): containerd platforms.Only
MATCH_CASES = [
    ("linux/amd64", "linux/amd64", True),
    ("linux/amd64", "linux/386", True),
    ("linux/amd64", "linux/arm64", False),
    ("linux/amd64", "windows/amd64", False),
    ("linux/amd64/v3", "linux/amd64/v2", True),
    ("linux/amd64/v2", "linux/amd64/v3", False),
    ("linux/amd64", "linux/amd64/v2", False),
    ("linux/arm64", "linux/arm64/v8", True),  # have is normalised too
    ("linux/arm64/v8", "linux/arm64", True),
    ("linux/arm64", "linux/arm/v7", True),
    ("linux/arm64", "linux/arm/v5", True),
    ("linux/arm64", "linux/arm64/v8.2", False),
    ("linux/arm64/v8.2", "linux/arm64/v8.1", True),
    ("linux/arm64/v9.1", "linux/arm64/v8.6", True),
    ("linux/arm64/v9.1", "linux/arm64/v8.7", False),
    ("linux/arm/v7", "linux/arm/v6", True),
    ("linux/arm/v7", "linux/arm", True),
    ("linux/arm/v6", "linux/arm/v7", False),
    ("linux/arm/v7", "linux/arm64", False),
    ("linux/riscv64", "linux/riscv64", True),
]

# (platform.machine(), host platform)
HOST_CASES = [
    ("x86_64", "linux/amd64"),
    ("aarch64", "linux/arm64"),
    ("armv7l", "linux/arm/v7"),
    ("armv6l", "linux/arm/v6"),
    ("s390x", "linux/s390x"),
    ("ppc64le", "linux/ppc64le"),
]


@pytest.fixture(autouse=True)
def x86_host(monkeypatch):
    monkeypatch.setattr(platforms, "_machine", lambda: "x86_64")


@pytest.mark.parametrize("spec, want", PARSE_CASES, ids=[c[0].strip() or "blank" for c in PARSE_CASES])
def test_parse_platform(spec, want):
    assert str(parse_platform(spec)) == want


@pytest.mark.parametrize("spec, why", BAD_SPECS, ids=[c[0] or "empty" for c in BAD_SPECS])
def test_bad_platform(spec, why):
    with pytest.raises(OptionError) as info:
        parse_platform(spec)
    assert why in info.value.message
    assert info.value.message.startswith(f'invalid platform "{spec}": ')
    assert "linux/arm64" in info.value.hint


def test_parse_platforms_dedupes_in_order():
    got = parse_platforms("linux/arm64,linux/amd64,aarch64,linux/arm64/v8,local")
    assert [str(p) for p in got] == ["linux/arm64", "linux/amd64"]


def test_parse_platforms_rejects_empty_items():
    with pytest.raises(OptionError, match="empty platform"):
        parse_platforms("linux/amd64,")


@pytest.mark.parametrize(
    "platform, text, dir_name",
    [
        (AMD64, "linux/amd64", "linux_amd64"),
        (Platform("linux", "arm", "v7"), "linux/arm/v7", "linux_arm_v7"),
        (ARM64, "linux/arm64", "linux_arm64"),
    ],
    ids=["amd64", "arm-v7", "arm64"],
)
def test_format(platform, text, dir_name):
    assert (str(platform), platform.dir_name) == (text, dir_name)


def test_normalize():
    assert normalize(Platform("Linux", "AArch64", "V8")) == ARM64
    assert normalize(Platform("linux", "arm")) == Platform("linux", "arm", "v7")


@pytest.mark.parametrize("machine, want", HOST_CASES, ids=[c[0] for c in HOST_CASES])
def test_host_platform(monkeypatch, machine, want):
    monkeypatch.setattr(platforms, "_machine", lambda: machine)
    assert str(host_platform()) == want
    assert str(parse_platform("local")) == want


def test_platform_args_cross_build():
    args = platform_args(AMD64, Platform("linux", "arm", "v7"))
    assert args == {
        "BUILDPLATFORM": "linux/amd64",
        "BUILDOS": "linux",
        "BUILDARCH": "amd64",
        "BUILDVARIANT": "",
        "TARGETPLATFORM": "linux/arm/v7",
        "TARGETOS": "linux",
        "TARGETARCH": "arm",
        "TARGETVARIANT": "v7",
    }


@pytest.mark.parametrize("want, have, usable", MATCH_CASES, ids=[f"{w}~{h}" for w, h, _ in MATCH_CASES])
def test_matches(want, have, usable):
    have_platform = Platform(*have.split("/"))  # as written in an index, not normalised
    assert matches(parse_platform(want), have_platform) is usable


def test_compatible_platforms_best_first():
    got = [str(p) for p in compatible_platforms(Platform("linux", "arm64", "v8.1"))]
    assert got == [
        "linux/arm64/v8.1", "linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5",
    ]
