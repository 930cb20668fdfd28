"""Which qemu-user emulator runs which platform, and the ELF header that selects it.

The magic and mask of each emulator are qemu's own (`scripts/qemu-binfmt-conf.sh`, as
Debian's qemu-user-static ships them in /usr/lib/binfmt.d/): the first 20 bytes of an ELF
header — class, byte order, e_type and e_machine — with the OS ABI byte masked out. The
magic is also a valid header of that architecture, so it doubles as the sample pallet tests
binfmt_misc entries against ("would this kernel run an arm64 executable, and with what?").
"""

from __future__ import annotations

from dataclasses import dataclass

_GENERIC_MASK = "ffffffffffffff00fffffffffffffffffeffffff"


@dataclass(frozen=True, slots=True)
class Emulator:
    name: str  # qemu's name for the CPU: "aarch64"; the binfmt entry is "qemu-aarch64"
    platforms: tuple[str, ...]  # what it runs, best first, as tonistiigi/binfmt lists them
    magic: str  # hex
    mask: str  # hex

    @property
    def entry_name(self) -> str:
        return f"qemu-{self.name}"

    @property
    def binary(self) -> str:
        """Debian's static build: statically linked, so it works inside any container rootfs."""
        return f"/usr/bin/qemu-{self.name}-static"

    @property
    def sample(self) -> bytes:
        return bytes.fromhex(self.magic)


EMULATORS = (
    Emulator("x86_64", ("linux/amd64",), "7f454c4602010100000000000000000002003e00",
             "fffffffffffefe00fffffffffffffffffeffffff"),
    Emulator("aarch64", ("linux/arm64",), "7f454c460201010000000000000000000200b700",
             _GENERIC_MASK),
    Emulator("riscv64", ("linux/riscv64",), "7f454c460201010000000000000000000200f300",
             _GENERIC_MASK),
    Emulator("ppc64le", ("linux/ppc64le",), "7f454c460201010000000000000000000200" "1500",
             "fffffffffffffffcfffffffffffffffffeffff00"),
    Emulator("s390x", ("linux/s390x",), "7f454c460202010000000000000000000002" "0016",
             "fffffffffffffffcfffffffffffffffffffeffff"),
    Emulator("i386", ("linux/386",), "7f454c4601010100000000000000000002000300",
             "fffffffffffefe00fffffffffffffffffeffffff"),
    Emulator("mips64el", ("linux/mips64le",), "7f454c4602010100000000000000000002000800",
             "ffffffffffffff00fefffffffffffffffeffffff"),
    Emulator("mips64", ("linux/mips64",), "7f454c4602020100000000000000000000020008",
             "ffffffffffffff00fefffffffffffffffffeffff"),
    Emulator("loongarch64", ("linux/loong64",), "7f454c4602010100000000000000000002000201",
             "fffffffffffffffc00fffffffffffffffeffffff"),
    Emulator("arm", ("linux/arm/v7", "linux/arm/v6"), "7f454c4601010100000000000000000002002800",
             _GENERIC_MASK),
)


def emulator_for(platform: str) -> Emulator | None:
    """The emulator that runs `platform` ("linux/arm64", "linux/arm/v5"), if qemu has one."""
    from pallet.image.platform import parse_platform

    p = parse_platform(platform)
    for emu in EMULATORS:
        for q in emu.platforms:
            have = parse_platform(q)
            if (have.os, have.architecture) == (p.os, p.architecture):
                return emu
    return None


def emulator_named(name: str) -> Emulator | None:
    """"aarch64", "qemu-aarch64", "arm64" or "linux/arm64" -> its Emulator."""
    bare = name.removeprefix("qemu-")
    for emu in EMULATORS:
        if bare == emu.name:
            return emu
    from pallet.errors import OptionError

    try:
        return emulator_for(name)
    except OptionError:  # not a platform either: the caller says what is known
        return None
