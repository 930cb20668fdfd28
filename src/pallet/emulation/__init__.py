"""Running other CPU architectures' RUN steps: qemu-user-static through binfmt_misc.

    arches.py   which qemu emulator runs which platform; the ELF magic that selects it
    binfmt.py   the kernel's binfmt_misc table: read, mount, register (F flag), unregister
    check.py    can this machine run a platform? (`pallet binfmt`, and before a build)
"""

from pallet.emulation.check import (
    EmulatorMissingError,
    check_platform,
    install,
    native_platforms,
    require_platform,
    status,
    uninstall,
)

__all__ = ["EmulatorMissingError", "check_platform", "install", "native_platforms",
           "require_platform", "status", "uninstall"]
