"""`pallet builder prune|du` (and `pallet buildx prune|du`): buildx's build-cache commands.

Output is buildx's (commands/du.go, commands/prune.go): a tab-aligned table of records,
then `Reclaimable:` and `Total:` lines, sizes as go-units HumanSize (4 significant digits).
create/ls/use/inspect/rm/stop are registered so that they fail with a clear message.
"""

from __future__ import annotations

import re
import sys
import time

from pallet.errors import OptionError

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")
_DURATION = re.compile(r"(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$")
LATER = ("create", "ls", "use", "inspect", "rm", "stop")


def register(sub) -> None:
    p = sub.add_parser("builder", help="manage the build cache (buildx prune/du)")
    verbs = p.add_subparsers(dest="builder_command", metavar="COMMAND")
    prune = verbs.add_parser("prune", help="remove build cache")
    prune.add_argument("-a", "--all", action="store_true",
                       help="remove all build cache, not just dangling cache")
    prune.add_argument("-f", "--force", action="store_true", help="do not prompt for confirmation")
    prune.add_argument("--filter", action="append", default=[], metavar="FILTER",
                       help="until=DURATION: only cache unused for longer than this")
    prune.add_argument("--keep-storage", metavar="SIZE", help="amount of disk space to keep")
    prune.add_argument("--verbose", action="store_true", help="accepted for buildx compatibility")
    prune.set_defaults(func=run_prune)
    du = verbs.add_parser("du", help="show build cache disk usage")
    du.add_argument("--verbose", action="store_true", help="every field of every record")
    du.add_argument("--filter", action="append", default=[], metavar="FILTER")
    du.set_defaults(func=run_du)
    for verb in LATER:
        later = verbs.add_parser(verb, help="(not yet: pallet has one builder per state root)")
        later.add_argument("rest", nargs="*")
        later.set_defaults(func=_not_yet, verb=verb)
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def run_prune(args) -> int:
    from pallet.state.prune import prune
    from pallet.state.root import StateRoot

    until = parse_filters(args.filter)
    keep = parse_size(args.keep_storage) if args.keep_storage else None
    if not args.force and not _confirm(args.all):
        return 1
    report = prune(StateRoot.default(), all=args.all, until=until, keep_storage=keep)
    rows = [_row(item) for item in report.removed if item.size or item.node[0] != "cache"]
    if rows:
        sys.stdout.write(tab_table([["ID", "RECLAIMABLE", "SIZE", "LAST ACCESSED"], *rows]))
    sys.stdout.write(tab_table([["Total:", human_size(report.total)]]))
    counts = report.counts()
    print("Deleted: " + ", ".join(f"{counts.get(k, 0)} {label}" for k, label in (
        ("cache", "cache records"), ("snapshot", "snapshots"), ("cachemount", "cache mounts"),
        ("blob", "blobs"))) + f", {counts.get('active', 0) + counts.get('stray', 0)} leftovers",
        file=sys.stderr)
    return 0


def _confirm(all: bool) -> bool:
    what = "all build cache" if all else "all dangling build cache"
    sys.stderr.write(f"WARNING! This will remove {what}. Are you sure you want to continue? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def run_du(args) -> int:
    from pallet.state.root import StateRoot
    from pallet.state.usage import load_inventory

    until = parse_filters(args.filter)
    inv = load_inventory(StateRoot.default())
    kept = inv.mark(keep_build_cache=False)
    items = [i for i in inv.items() if until is None or (i.last_used or 0) < time.time() - until]
    items.sort(key=lambda i: -(i.last_used or 0))
    if args.verbose:
        for item in items:
            sys.stdout.write(_verbose(item, item.node not in kept and not item.in_use))
    else:
        rows = [_row(i, reclaimable=i.node not in kept and not i.in_use) for i in items]
        sys.stdout.write(tab_table([["ID", "RECLAIMABLE", "SIZE", "LAST ACCESSED"], *rows]))
        if rows:
            print()
    total = sum(i.size for i in items)
    reclaimable = sum(i.size for i in items if i.node not in kept and not i.in_use)
    sys.stdout.write(tab_table([["Reclaimable:", human_size(reclaimable)],
                                ["Total:", human_size(total)]]))
    return 0


def _row(item, reclaimable: bool = True) -> list[str]:
    from pallet.image.display import ago

    shown = item.id + ("*" if item.in_use else "")
    last = ago(item.last_used, time.time()) if item.last_used else ""
    return [shown, str(reclaimable).lower(), human_size(item.size), last]


def _verbose(item, reclaimable: bool) -> str:
    from pallet.image.display import ago

    fields = [["ID:", item.id], *(["Parent:", p[1][:25]] for p in item.parents),
              ["Mutable:", str(item.kind == "exec.cachemount").lower()],
              ["Reclaimable:", str(reclaimable).lower()], ["Size:", human_size(item.size)],
              ["Description:", item.description], ["In use:", str(item.in_use).lower()],
              ["Last used:", ago(item.last_used, time.time()) if item.last_used else ""],
              ["Type:", item.kind]]
    return tab_table(fields) + "\n"


def _not_yet(args) -> int:
    raise OptionError(f'"pallet builder {args.verb}" is not supported yet',
                      hint="pallet uses one builder per state root (PALLET_ROOT)")


# -- flags and formatting --------------------------------------------------------------
def parse_filters(filters: list[str]) -> float | None:
    """`--filter until=24h`: seconds (Go's time.ParseDuration grammar)."""
    until = None
    for f in filters:
        key, eq, value = f.partition("=")
        if key.strip().lower() not in ("until", "unused-for") or not eq:
            raise OptionError(f'invalid filter "{f}"', hint="pallet supports --filter until=DURATION (e.g. 24h)")
        until = parse_duration(value)
    return until


def parse_duration(text: str) -> float:
    if text == "0":
        return 0.0
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise OptionError(f'time: invalid duration "{text}"', hint="use Go durations: 30m, 24h, 1h30m")
    return sum(float(n) * _SECONDS[u] for n, u in parts)


def parse_size(text: str) -> int:
    """go-units RAMInBytes, as buildx reads --keep-storage: binary multiples."""
    match = _SIZE.match(text.strip())
    if not match:
        raise OptionError(f'invalid size: "{text}"', hint="e.g. --keep-storage 10GB or 512mb")
    suffix = (match.group(2) or "").lower()
    return int(float(match.group(1)) * 1024 ** ("kmgtp".index(suffix) + 1 if suffix else 0))


def human_size(size: float) -> str:
    """go-units HumanSize: decimal units, 4 significant digits ("16.43MB", "0B")."""
    i = 0
    while size >= 1000 and i < len(_UNITS) - 1:
        size /= 1000
        i += 1
    return "%.*g%s" % (4, size, _UNITS[i])


def tab_table(rows: list[list[str]]) -> str:
    """Go's tabwriter(minwidth 1, tabwidth 8, padding 1, padchar '\\t'), as buildx prints."""
    widths = [0] * max(len(r) for r in rows)
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(cell) + 1)
    widths = [-(-w // 8) * 8 for w in widths]
    lines = []
    for row in rows:
        cells = [cell + "\t" * -(-(widths[i] - len(cell)) // 8) for i, cell in enumerate(row[:-1])]
        lines.append("".join(cells) + row[-1])
    return "\n".join(lines) + "\n"
