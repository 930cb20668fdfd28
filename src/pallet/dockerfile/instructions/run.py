"""RUN and its flags: --mount, --network, --security (instructions/commands_runmount.go,
commands_runnetwork.go, commands_runsecurity.go)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pallet.dockerfile.instructions.base import Instruction, WordExpander, cmdline, located
from pallet.dockerfile.instructions.flags import FlagKind, parse_flags
from pallet.dockerfile.goquote import go_quote
from pallet.dockerfile.nodes import Heredoc, Node
from pallet.errors import InstructionError

if TYPE_CHECKING:
    from pallet.dockerfile.instructions.mounts import Mount

NETWORK_MODES = ("default", "none", "host")
SECURITY_MODES = ("sandbox", "insecure")
RUN_FLAGS = {"mount": FlagKind.STRINGS, "network": FlagKind.STRING, "security": FlagKind.STRING}


@dataclass(frozen=True, slots=True)
class Run(Instruction):
    """RUN [--mount=...] [--network=...] [--security=...] command"""

    cmd: tuple[str, ...]
    prepend_shell: bool  # shell form: run under SHELL (default /bin/sh -c)
    heredocs: tuple[Heredoc, ...] = ()
    mounts: tuple[Mount, ...] = ()
    network: str | None = None  # None when --network was not given ("default")
    security: str | None = None  # None when --security was not given ("sandbox")
    flags_used: tuple[str, ...] = ()

    def expand(self, lex: WordExpander, env: Mapping[str, str]) -> Run:
        """Mount option values expanded; the command is the shell's job."""
        with located(self.node):
            mounts = tuple(m.expand(lex, env) for m in self.mounts)
        return replace(self, mounts=mounts)


def parse_run(node: Node) -> Run:
    flags = parse_flags(node.flags, RUN_FLAGS)
    # BuildKit's post-hooks run mount, network, security, in that order
    mounts = _parse_mounts(flags["mount"].values)
    network = flags["network"].value if flags["network"].used else None
    if network is not None and network not in NETWORK_MODES:
        raise InstructionError(f"invalid network mode {go_quote(network)}")
    security = flags["security"].value if flags["security"].used else None
    if security is not None and security not in SECURITY_MODES:
        raise InstructionError(f"security {go_quote(security)} is not valid")
    return Run(
        cmd=cmdline(node),
        prepend_shell=not node.json_form,
        heredocs=tuple(node.heredocs),
        mounts=mounts,
        network=network,
        security=security,
        flags_used=tuple(name for name, flag in flags.items() if flag.used),
        node=node,
    )


def _parse_mounts(specs: list[str]) -> tuple[Mount, ...]:
    if not specs:  # most RUNs: no need to import the --mount parser and its 7 dataclasses
        return ()
    from pallet.dockerfile.instructions.mounts import parse_mount

    return tuple(parse_mount(spec) for spec in specs)
