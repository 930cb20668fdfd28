"""Platforms (`os/arch[/variant]`) as OCI image-spec image-index.md describes them."""

from __future__ import annotations

import platform as _host
from dataclasses import dataclass

from pallet.errors import OptionError

# containerd/platforms/database.go normalisation of `uname -m` and common aliases.
_ARCH_ALIASES = {
    "x86_64": ("amd64", ""),
    "x86-64": ("amd64", ""),
    "aarch64": ("arm64", ""),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v6"),
    "i386": ("386", ""),
    "i686": ("386", ""),
}


@dataclass(frozen=True, slots=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def to_dict(self) -> dict:
        d = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            d["variant"] = self.variant
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Platform:
        return cls(d.get("os", ""), d.get("architecture", ""), d.get("variant", "") or "")


def normalize_arch(arch: str, variant: str = "") -> tuple[str, str]:
    arch = arch.lower()
    if arch in _ARCH_ALIASES:
        norm, default_variant = _ARCH_ALIASES[arch]
        return norm, variant or default_variant
    if arch == "arm64" and variant in ("v8", "8"):
        return "arm64", ""  # containerd drops the default arm64 variant
    return arch, variant


def host_platform() -> Platform:
    arch, variant = normalize_arch(_host.machine() or "amd64")
    return Platform("linux", arch, variant)


def parse_platform(text: str) -> Platform:
    """`linux/amd64`, `linux/arm/v7`, `amd64` (os defaults to linux)."""
    parts = text.strip().split("/")
    if not text.strip() or len(parts) > 3 or any(not p for p in parts):
        raise OptionError(f'invalid platform "{text}"', hint="use os/arch[/variant], e.g. linux/amd64")
    if len(parts) == 1:
        parts = ["linux", *parts]
    os_name, arch = parts[0].lower(), parts[1]
    arch, variant = normalize_arch(arch, parts[2] if len(parts) == 3 else "")
    return Platform(os_name, arch, variant)
