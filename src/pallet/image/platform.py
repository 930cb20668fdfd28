"""Platform strings ("linux/arm/v7"), parsed, normalised and matched as containerd does.

Matches containerd/platforms: `platforms.go` (Parse, Format, Normalize), `database.go`
(normalizeOS, normalizeArch, the known OS and architecture lists) and `compare.go` (Only: which
manifests of an image index can run on a platform). `--platform` values are what buildx does
with them: `platforms.Normalize(platforms.Parse(s))`, and "local" is the host.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from pallet.errors import OptionError

_EXAMPLES = 'e.g. "linux/amd64", "linux/arm64", "linux/arm/v7" or "local"'

# database.go isKnownOS / isKnownArch (from Go's syslist.go)
KNOWN_OS = frozenset(
    "aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd "
    "plan9 solaris windows zos".split()
)
KNOWN_ARCH = frozenset(
    "386 amd64 amd64p32 arm armbe arm64 arm64be ppc64 ppc64le loong64 mips mipsle mips64 "
    "mips64le mips64p32 mips64p32le ppc riscv riscv64 s390 s390x sparc sparc64 wasm".split()
)

# platforms.go specifierRe, and osRe without the "(version+features)" part pallet can't hold
_COMPONENT = re.compile(r"[A-Za-z0-9_.-]+")
_OS_COMPONENT = re.compile(r"[A-Za-z0-9_-]+")

# The kernel's machine name (uname -m) -> GOARCH/variant, for the host (what Go's runtime reports)
_MACHINES = {
    "x86_64": ("amd64", ""), "amd64": ("amd64", ""), "i386": ("386", ""), "i686": ("386", ""),
    "aarch64": ("arm64", ""), "arm64": ("arm64", ""), "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"), "armv5tel": ("arm", "v5"), "ppc64le": ("ppc64le", ""),
    "s390x": ("s390x", ""), "riscv64": ("riscv64", ""), "loongarch64": ("loong64", ""),
}


@dataclass(frozen=True, slots=True)
class Platform:
    """An OCI platform: os, architecture and (for arm and some others) variant."""

    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        """platforms.Format: "linux/arm64", "linux/arm/v7"."""
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    @property
    def dir_name(self) -> str:
        """The directory buildx's local exporter uses per platform: "linux_arm_v7"."""
        return str(self).replace("/", "_")

    def to_dict(self) -> dict:
        """As an OCI descriptor's `platform` (image-spec image-index.md)."""
        d = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            d["variant"] = self.variant
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Platform:
        return cls(d.get("os", ""), d.get("architecture", ""), d.get("variant", "") or "")


def normalize(p: Platform) -> Platform:
    """platforms.Normalize: canonical os, architecture and variant."""
    arch, variant = _normalize_arch(p.architecture, p.variant)
    return Platform(_normalize_os(p.os), arch, variant)


def _normalize_os(os_name: str) -> str:
    os_name = os_name.lower()
    return "darwin" if os_name == "macos" else os_name


def _normalize_arch(arch: str, variant: str) -> tuple[str, str]:
    """database.go normalizeArch."""
    arch, variant = arch.lower(), variant.lower()
    if arch == "i386":
        return "386", ""
    if arch in ("x86_64", "x86-64", "amd64"):
        return "amd64", "" if variant == "v1" else variant
    if arch in ("aarch64", "arm64"):
        return "arm64", "" if variant in ("8", "v8") else variant
    if arch == "armhf":
        return "arm", "v7"
    if arch == "armel":
        return "arm", "v6"
    if arch == "arm":
        if variant in ("", "7"):
            return "arm", "v7"
        return "arm", "v" + variant if variant in ("5", "6", "8") else variant
    return arch, variant


def host_platform() -> Platform:
    """The platform this machine runs natively (platforms.DefaultSpec)."""
    machine = _machine().lower()
    arch, variant = _MACHINES.get(machine, (machine, ""))
    return normalize(Platform("linux", arch, variant))


def _machine() -> str:
    # What platform.machine() returns on Linux; that module costs ~1 ms to import.
    return os.uname().machine


def parse_platform(spec: str) -> Platform:
    """One `--platform` value, normalised: "linux/arm64", "arm" (= linux/arm/v7), "local"."""
    text = spec.strip()
    if text == "local":
        return host_platform()
    return normalize(_parse(text, spec))


def parse_platforms(spec: str) -> list[Platform]:
    """A comma-separated `--platform` list, deduplicated, first occurrence first."""
    seen: dict[Platform, None] = {}
    for part in spec.split(","):
        if not part.strip():
            raise _invalid(spec, "empty platform in the list")
        seen.setdefault(parse_platform(part), None)
    return list(seen)


def _parse(text: str, spec: str) -> Platform:
    """platforms.Parse (before Normalize)."""
    if "*" in text:
        raise _invalid(spec, "wildcards are not supported")
    parts = text.split("/", 3)
    if not _OS_COMPONENT.fullmatch(parts[0]):
        raise _invalid(spec, f'"{parts[0]}" is not a valid operating system')
    for part in parts[1:]:
        if not _COMPONENT.fullmatch(part):
            raise _invalid(spec, f'"{part}" is not a valid platform component')
    os_name = _normalize_os(parts[0])
    if len(parts) == 1:
        return _parse_single(os_name, parts[0], spec)
    if len(parts) == 2:
        return Platform(os_name, *_normalize_arch(parts[1], ""))
    if len(parts) == 3:
        return Platform(os_name, *_normalize_arch(parts[1], parts[2]))
    raise _invalid(spec, "too many components")


def _parse_single(os_name: str, word: str, spec: str) -> Platform:
    """A lone word is an OS (host architecture) or else an architecture (OS linux)."""
    if os_name in KNOWN_OS:
        host = host_platform()
        return Platform(os_name, host.architecture, host.variant)
    arch, variant = _normalize_arch(word, "")
    if arch not in KNOWN_ARCH:
        raise _invalid(spec, "unknown operating system or architecture")
    return Platform("linux", arch, variant)


def _invalid(spec: str, why: str) -> OptionError:
    hint = f"use os/arch[/variant], {_EXAMPLES}"
    return OptionError(f'invalid platform "{spec}": {why}', hint=hint)


def platform_args(build: Platform, target: Platform) -> dict[str, str]:
    """The automatic platform ARGs (dockerfile2llb convert.go platformArgs)."""
    return {
        "BUILDPLATFORM": str(build),
        "BUILDOS": build.os,
        "BUILDARCH": build.architecture,
        "BUILDVARIANT": build.variant,
        "TARGETPLATFORM": str(target),
        "TARGETOS": target.os,
        "TARGETARCH": target.architecture,
        "TARGETVARIANT": target.variant,
    }


def matches(want: Platform, have: Platform) -> bool:
    """Whether an image-index entry for `have` can be used for `want` (platforms.Only)."""
    return normalize(have) in compatible_platforms(want)


def compatible_platforms(want: Platform) -> list[Platform]:
    """What `want` can run, best first (compare.go platformVector over the normalised platform).

    amd64/vN also runs vN-1..v1 and 386; arm/vN runs arm/vN-1..v5; arm64/v8.x runs v8.x-1..v8,
    arm64/v9.x runs v9.x-1..v9 and v8.x+5..v8; arm64 also runs arm/v8 down to arm/v5.
    """
    want = normalize(want)
    return [normalize(p) for p in _vector(want)]


def _vector(p: Platform) -> list[Platform]:
    if p.architecture == "amd64":
        lower = [_with(p, "amd64", f"v{n}") for n in range(_version(p.variant) - 1, 0, -1)]
        return [p, *lower, _with(p, "386", "")]
    if p.architecture == "arm":
        return [p] + [_with(p, "arm", f"v{n}") for n in range(_version(p.variant) - 1, 4, -1)]
    if p.architecture == "arm64":
        return [p, *_arm64_older(p)] + _vector(_with(p, "arm", _arm32_variant(p.variant)))
    return [p]


def _arm64_older(p: Platform) -> list[Platform]:
    variant = p.variant or "v8"
    major_text, dot, minor_text = variant.partition(".")
    major = _version(major_text, default=0)
    if major < 8:
        return []
    minor = int(minor_text) if len(variant) == 4 and dot and minor_text.isdigit() else 0
    older = []
    if major == 9:
        older += [_with(p, "arm64", _arm64_variant(9, m)) for m in range(minor - 1, -1, -1)]
        major, minor = 8, minor + 5  # v9.0 forked from v8.5
        older.append(_with(p, "arm64", f"v8.{minor}"))
    older += [_with(p, "arm64", _arm64_variant(major, m)) for m in range(minor - 1, -1, -1)]
    return older


def _arm64_variant(major: int, minor: int) -> str:
    return f"v{major}" if minor == 0 else f"v{major}.{minor}"


def _arm32_variant(variant: str) -> str:
    variant = variant or "v8"
    return "v8" if variant.startswith(("v8.", "v9.")) else variant


def _version(variant: str, default: int = 1) -> int:
    digits = variant.removeprefix("v")
    return int(digits) if digits.isdigit() else default


def _with(p: Platform, architecture: str, variant: str) -> Platform:
    return Platform(p.os, architecture, variant)
