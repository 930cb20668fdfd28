"""HEALTHCHECK (instructions/parse.go parseHealthcheck) and Go duration parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pallet.dockerfile.instructions.base import Instruction, cmdline
from pallet.dockerfile.instructions.flags import Flag, FlagKind, parse_flags
from pallet.dockerfile.goquote import go_quote
from pallet.dockerfile.nodes import Node
from pallet.errors import InstructionError

HEALTHCHECK_FLAGS = {name: FlagKind.STRING for name in
                     ("interval", "timeout", "start-period", "start-interval", "retries")}
MINIMUM_DURATION_NS = 1_000_000  # docker's container.MinimumDuration, 1ms
_UNITS_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
             "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_DURATION_PART = re.compile(r"(\d*)(?:\.(\d*))?([^\d.]*)")


@dataclass(frozen=True, slots=True)
class Healthcheck(Instruction):
    """HEALTHCHECK [--interval=] [--timeout=] [--start-period=] [--start-interval=] [--retries=] CMD command | HEALTHCHECK NONE"""

    test: tuple[str, ...]  # ("NONE",), ("CMD", exe, ...) or ("CMD-SHELL", "text")
    interval: int = 0  # nanoseconds; 0 means inherit/default
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0


def parse_healthcheck(node: Node) -> Healthcheck:
    if not node.args:
        raise InstructionError("HEALTHCHECK requires at least one argument")
    kind = node.args[0].upper()
    if kind == "NONE":
        # parse.go never parses flags for NONE, so they are ignored
        if len(node.args) != 1:
            raise InstructionError("HEALTHCHECK NONE takes no arguments")
        return Healthcheck(("NONE",), node=node)
    flags = parse_flags(node.flags, HEALTHCHECK_FLAGS)
    test = _test(node, kind)
    return Healthcheck(
        test,
        interval=_interval(flags["interval"]),
        timeout=_interval(flags["timeout"]),
        start_period=_interval(flags["start-period"]),
        start_interval=_interval(flags["start-interval"]),
        retries=_retries(flags["retries"].value),
        node=node,
    )


def _test(node: Node, kind: str) -> tuple[str, ...]:
    if kind != "CMD":
        raise InstructionError(f"Unknown type {go_quote(kind)} in HEALTHCHECK (try CMD)")
    rest = Node(node.keyword, node.original, node.start_line, node.end_line,
                args=node.args[1:], json_form=node.json_form)
    cmd = cmdline(rest)
    if not cmd:
        raise InstructionError("Missing command after HEALTHCHECK CMD")
    return ("CMD" if node.json_form else "CMD-SHELL", *cmd)


def _interval(flag: Flag) -> int:
    if not flag.value:
        return 0
    ns = parse_go_duration(flag.value)
    if ns != 0 and ns < MINIMUM_DURATION_NS:
        raise InstructionError(f"Interval {go_quote(flag.name)} cannot be less than 1ms")
    return ns


def _retries(value: str) -> int:
    if not value:
        return 0
    if not re.fullmatch(r"[+-]?\d+", value):
        raise InstructionError(f"strconv.ParseInt: parsing {go_quote(value)}: invalid syntax")
    retries = int(value)
    if not -(2**31) <= retries < 2**31:
        raise InstructionError(f"strconv.ParseInt: parsing {go_quote(value)}: value out of range")
    if retries < 0:
        raise InstructionError(f"--retries cannot be negative ({retries})")
    return retries


def parse_go_duration(text: str) -> int:
    """Go's `time.ParseDuration`, in nanoseconds: `1h30m`, `1.5s`, `-2ms`, `0`."""
    body = text.lstrip("+-")
    sign = -1 if text.startswith("-") else 1
    if body == "0":
        return 0
    if not body:
        raise _bad_duration(text)
    total, pos = 0.0, 0
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        whole, frac, unit = match.group(1), match.group(2), match.group(3)
        if not whole and not frac:
            raise _bad_duration(text)
        if not unit:
            raise InstructionError(f"time: missing unit in duration {go_quote(text)}")
        if unit not in _UNITS_NS:
            raise InstructionError(f"time: unknown unit {go_quote(unit)} in duration {go_quote(text)}")
        total += float(f"{whole or 0}.{frac or 0}") * _UNITS_NS[unit]
        pos = match.end()
    return sign * int(round(total))


def _bad_duration(text: str) -> InstructionError:
    return InstructionError(f"time: invalid duration {go_quote(text)}")
