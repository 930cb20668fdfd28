"""Can this machine run a platform's executables, natively or through a registered emulator?

Asked before a build runs anything (engine/platforms.py), so a foreign RUN without an
emulator fails with a hint instead of runc's "exec format error" half-way through a build.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pallet.errors import UserError

# arches and binfmt are imported only once a platform is not native: every build checks its
# RUN steps' platforms, and most are the host's.
if TYPE_CHECKING:
    from pallet.emulation.arches import Emulator
    from pallet.emulation.binfmt import Binfmt, Entry

CROSS_HINT = "or keep RUN steps native: FROM --platform=$BUILDPLATFORM, then cross-compile"


class EmulatorMissingError(UserError):
    """A RUN step is for a platform this machine can neither run nor emulate."""


@dataclass(frozen=True, slots=True)
class Verdict:
    platform: str
    native: bool = False
    entry: Entry | None = None  # the binfmt_misc entry that would run it
    problem: str = ""  # why not, "" when it can run
    hint: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def native_platforms() -> list[str]:
    """What the host runs without help: its own platform and the older ones it includes."""
    from pallet.image.platform import compatible_platforms, host_platform

    return [str(p) for p in compatible_platforms(host_platform())]


def check_platform(platform: str, binfmt: Binfmt | None = None) -> Verdict:
    from pallet.image.platform import host_platform, parse_platform

    norm = str(parse_platform(platform))
    if norm in native_platforms():
        return Verdict(norm, native=True)
    from pallet.emulation.arches import emulator_for
    from pallet.emulation.binfmt import Binfmt

    emu = emulator_for(norm)
    host = host_platform()
    if emu is None:
        return Verdict(norm, problem=f"no emulator for {norm}: qemu-user has none for it",
                       hint=f"build {norm} on a machine of that platform, {CROSS_HINT}")
    entry = (binfmt or Binfmt()).handler(emu.sample)
    if entry is None:
        return Verdict(norm, problem=f"no emulator for {norm}: RUN steps of {norm} cannot "
                                     f"run on this {host} machine", hint=_install_hint(emu))
    if "F" not in entry.flags:
        return Verdict(norm, entry=entry,
                       problem=f"the emulator for {norm} ({entry.name}) is registered without "
                               "the F flag, so it cannot run inside a container",
                       hint=f"echo -1 > /proc/sys/fs/binfmt_misc/{entry.name} and "
                            f"run `pallet binfmt --install {emu.name}`, {CROSS_HINT}")
    return Verdict(norm, entry=entry)


def _install_hint(emu: Emulator) -> str:
    if not os.path.exists(emu.binary):
        return (f"apt-get install qemu-user-static, then run `pallet binfmt --install` as root "
                f"to register it, {CROSS_HINT}")
    return f"run `pallet binfmt --install` as root to register {emu.binary}, {CROSS_HINT}"


def require_platform(platform: str, binfmt: Binfmt | None = None) -> Verdict:
    verdict = check_platform(platform, binfmt)
    if not verdict.ok:
        raise EmulatorMissingError(verdict.problem, hint=verdict.hint)
    return verdict


# -- `pallet binfmt` ---------------------------------------------------------------------
def status(binfmt: Binfmt | None = None) -> dict:
    """What tonistiigi/binfmt prints ("supported", "emulators"), plus what could be installed."""
    from pallet.emulation.arches import EMULATORS
    from pallet.emulation.binfmt import Binfmt

    binfmt = binfmt or Binfmt()
    entries = binfmt.entries()
    supported = list(native_platforms())
    installable = []
    for emu in EMULATORS:
        if any(p in supported for p in emu.platforms):
            continue
        if any(e.enabled and "F" in e.flags and e.matches(emu.sample) for e in entries):
            supported += list(emu.platforms)
        elif os.path.exists(emu.binary):
            installable.append(emu.name)
    return {"supported": supported, "emulators": [e.name for e in entries if e.interpreter],
            "installable": installable}


def install(names: list[str], binfmt: Binfmt | None = None) -> list[str]:
    """Register the emulators named (qemu names or platforms; "all"), skipping what already
    runs; returns the entry names registered now."""
    from pallet.emulation.binfmt import Binfmt

    binfmt = binfmt or Binfmt()
    binfmt.ensure_mounted()
    done = []
    for emu in _wanted(names):
        if check_platform(emu.platforms[0], binfmt).ok:
            continue  # native, or some entry (ours or not) already runs it in containers
        if not os.path.exists(emu.binary):
            raise UserError(f"{emu.binary} not found", hint="apt-get install qemu-user-static")
        if any(e.name == emu.entry_name for e in binfmt.entries()):
            raise UserError(f"binfmt_misc already has an entry named {emu.entry_name}, but it "
                            f"cannot run {emu.platforms[0]} in containers",
                            hint=f"remove it (echo -1 > {binfmt.path / emu.entry_name}), "
                                 "then run `pallet binfmt --install` again")
        binfmt.register(emu)
        done.append(emu.entry_name)
    return done


def _wanted(names: list[str]) -> list[Emulator]:
    from pallet.emulation.arches import EMULATORS, emulator_named

    if not names or names == ["all"]:
        return [e for e in EMULATORS if os.path.exists(e.binary)]
    out = []
    for name in names:
        emu = emulator_named(name)
        if emu is None:
            known = ", ".join(e.name for e in EMULATORS)
            raise UserError(f'unknown emulator "{name}"', hint=f"known: all, {known}")
        out.append(emu)
    return out


def uninstall(name: str, binfmt: Binfmt | None = None) -> str:
    """Remove the entry for `name` if pallet registered it; returns its entry name."""
    from pallet.emulation.arches import emulator_named
    from pallet.emulation.binfmt import Binfmt

    binfmt = binfmt or Binfmt()
    emu = emulator_named(name)
    wanted = emu.entry_name if emu else name
    for entry in binfmt.entries():
        if entry.name == wanted:
            binfmt.unregister(entry)
            return entry.name
    raise UserError(f"no binfmt_misc entry named {wanted}", hint="`pallet binfmt` lists them")
