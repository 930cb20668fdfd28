"""binfmt_misc: the kernel's table of interpreters for foreign executables.

An entry says "a file whose bytes at `offset`, masked with `mask`, equal `magic`, is run by
`interpreter`". qemu-user-static registered there is how a container of another CPU
architecture runs (docker's tonistiigi/binfmt does the same). The `F` flag (fix binary)
makes the kernel open the interpreter when the entry is registered, not when a program
starts: without it the interpreter's path would be looked up inside the container's root,
where /usr/bin/qemu-aarch64-static does not exist (kernel Documentation/admin-guide/
binfmt-misc.rst). `C` (credentials from the program, implies `O`) is what tonistiigi/binfmt
adds, so set-uid programs keep working under emulation.

Registering changes the whole machine, so pallet registers only what was asked, only what
is not registered yet, leaves a marker under /run/pallet/binfmt for each entry it made, and
removes only entries that carry its marker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pallet.emulation.arches import Emulator
from pallet.errors import UserError

DEFAULT_DIR = "/proc/sys/fs/binfmt_misc"
MARKER_DIR = "/run/pallet/binfmt"
FLAGS = "CF"


class BinfmtError(UserError):
    """binfmt_misc could not be read, mounted or written."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One registered interpreter, as /proc/sys/fs/binfmt_misc/<name> shows it."""

    name: str
    enabled: bool
    interpreter: str
    flags: str
    offset: int = 0
    magic: bytes = b""
    mask: bytes = b""  # empty: all ones

    def matches(self, header: bytes) -> bool:
        """Whether the kernel would hand a file starting with `header` to this entry."""
        if not self.magic:
            return False  # an extension entry (".jar"): never an ELF match
        chunk = header[self.offset:self.offset + len(self.magic)]
        if len(chunk) < len(self.magic):
            return False
        mask = self.mask or b"\xff" * len(self.magic)
        return all((c & m) == (g & m) for c, m, g in zip(chunk, mask, self.magic))


def parse_entry(name: str, text: str) -> Entry:
    """The kernel's entry_status() format: "enabled", "interpreter X", "flags: OCF", ..."""
    fields: dict[str, str] = {}
    enabled = False
    for line in text.splitlines():
        if line.strip() == "enabled":
            enabled = True
        key, _, value = line.partition(" ")
        fields[key.rstrip(":")] = value.strip()
    return Entry(name, enabled, fields.get("interpreter", ""), fields.get("flags", ""),
                 int(fields.get("offset", "0") or 0), bytes.fromhex(fields.get("magic", "")),
                 bytes.fromhex(fields.get("mask", "")))


class Binfmt:
    """The binfmt_misc filesystem at `path` (default: $PALLET_BINFMT_MISC or the usual)."""

    def __init__(self, path: str | None = None, marker_dir: str | None = None) -> None:
        self.path = Path(path or os.environ.get("PALLET_BINFMT_MISC") or DEFAULT_DIR)
        # Markers belong to one binfmt_misc: another dir (a test's) keeps them beside it.
        default = MARKER_DIR if self.path == Path(DEFAULT_DIR) else f"{self.path}.pallet"
        self.marker_dir = Path(marker_dir or default)

    # -- reading ------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        """Every registered entry ([] when binfmt_misc is not mounted and cannot be)."""
        if not self.ensure_mounted(required=False):
            return []
        out = []
        for child in sorted(self.path.iterdir()):
            if child.name in ("register", "status"):
                continue
            try:
                out.append(parse_entry(child.name, child.read_text()))
            except (OSError, ValueError):
                continue  # removed meanwhile, or a format we do not know
        return out

    def handler(self, header: bytes) -> Entry | None:
        """The enabled entry the kernel would use for an executable starting with `header`."""
        for entry in self.entries():
            if entry.enabled and entry.matches(header):
                return entry
        return None

    def ensure_mounted(self, *, required: bool = True) -> bool:
        """Mount binfmt_misc where the kernel's table is expected, if it is not there yet."""
        if (self.path / "register").exists():
            return True
        if self.path != Path(DEFAULT_DIR) or os.geteuid() != 0:
            if required:
                raise BinfmtError(f"binfmt_misc is not mounted at {self.path}",
                                  hint="mount -t binfmt_misc binfmt_misc " + DEFAULT_DIR)
            return False
        from pallet.snapshot.base import Mount
        from pallet.snapshot.mount import MountError, mount

        try:  # snapshot.mount is the one module that calls mount(2)
            mount(Mount("binfmt_misc", "binfmt_misc"), self.path)
        except MountError as err:
            if required:
                raise BinfmtError(f"cannot mount binfmt_misc at {self.path}: {err.message}",
                                  hint="run as root on a kernel with binfmt_misc; in a "
                                       "container, it must be privileged") from None
            return False
        return True

    # -- writing ------------------------------------------------------------------------
    def register(self, emu: Emulator) -> None:
        """Register `emu` with the F flag and mark it as pallet's."""
        self.ensure_mounted()
        line = (f":{emu.entry_name}:M:0:{_escape(emu.sample)}:"
                f"{_escape(bytes.fromhex(emu.mask))}:{emu.binary}:{FLAGS}")
        try:
            with open(self.path / "register", "w") as f:
                f.write(line)
        except OSError as err:
            raise BinfmtError(f"cannot register {emu.entry_name} in binfmt_misc: "
                              f"{err.strerror or err}",
                              hint="run as root; in a container, it must be privileged") from None
        self.marker_dir.mkdir(parents=True, exist_ok=True)
        (self.marker_dir / emu.entry_name).write_text(emu.binary + "\n")

    def registered_by_pallet(self, entry: Entry) -> bool:
        marker = self.marker_dir / entry.name
        try:
            return marker.read_text().strip() == entry.interpreter
        except OSError:
            return False

    def unregister(self, entry: Entry) -> None:
        """Remove an entry pallet registered (the kernel: write -1 to the entry's file)."""
        if not self.registered_by_pallet(entry):
            raise BinfmtError(f"{entry.name} was not registered by pallet; leaving it",
                              hint=f"remove it yourself with: echo -1 > {self.path / entry.name}")
        with open(self.path / entry.name, "w") as f:
            f.write("-1")
        (self.marker_dir / entry.name).unlink(missing_ok=True)


def _escape(data: bytes) -> str:
    # Every byte escaped: the register line is split on ":", and magic may contain 0x3a.
    return "".join(f"\\x{b:02x}" for b in data)
