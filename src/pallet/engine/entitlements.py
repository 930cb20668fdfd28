"""`--allow network.host|security.insecure`: what a RUN may ask for only if the user allows it.

BuildKit checks each vertex (solver/llbsolver/vertex.go: ValidateEntitlements) and fails
with "<entitlement> is not allowed"; we walk the graph once before solving, same message.
`pallet build --network=host` grants network.host itself, as buildx does.
"""

from __future__ import annotations

from pallet.errors import BuildError
from pallet.graph.ops import Exec, Op

KNOWN = ("network.host", "security.insecure")


def check_entitlements(target: Op, allow: list[str], build_network: str = "default") -> None:
    from pallet.dockerfile.suggest import did_you_mean

    granted = set(allow or ())
    for name in granted - set(KNOWN):
        raise BuildError(f'invalid entitlement: "{name}"{did_you_mean(name, KNOWN)}',
                         hint="--allow takes network.host or security.insecure")
    if build_network == "host":
        granted.add("network.host")
    for op in _walk(target):
        if isinstance(op, Exec):
            _check(op, "security.insecure", op.security == "insecure", granted)
            _check(op, "network.host", op.network == "host", granted)


def _check(op: Exec, name: str, asked: bool, granted: set[str]) -> None:
    if asked and name not in granted:
        err = BuildError(f"{name} is not allowed",
                         hint=f"pass --allow {name} to pallet build to let this step have it")
        err.ranges = list(op.meta.ranges)
        raise err


def _walk(op: Op):
    seen: set[int] = set()
    stack = [op]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(node.inputs())
