"""EXPOSE values -> image config port keys (docker/go-connections nat.ParsePortSpecs)."""

from __future__ import annotations

import re

from pallet.errors import InstructionError

# [ip:][hostPort:]containerPort[-end][/proto]; only the container part matters for EXPOSE
_PORT = re.compile(r"^(?:.*:)?(\d+)(?:-(\d+))?(?:/(\w+))?$")


def parse_ports(values, inst) -> list[str]:
    """`80`, `80/udp`, `8000-8002/tcp` -> ["80/tcp"], ["80/udp"], ["8000/tcp", ...]."""
    out: list[str] = []
    for value in values:
        m = _PORT.match(value)
        if not m:
            raise InstructionError(f'invalid containerPort: {value}', ranges=[inst.node.range],
                                   hint="EXPOSE takes PORT[/PROTO] or START-END[/PROTO]")
        start = int(m.group(1))
        end = int(m.group(2) or start)
        if end < start or end > 65535:
            raise InstructionError(f"invalid range specified for container port: {value}",
                                   ranges=[inst.node.range])
        proto = m.group(3) or "tcp"
        out += [f"{port}/{proto}" for port in range(start, end + 1)]
    return out
