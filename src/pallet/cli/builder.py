"""`pallet builder ...` (and `pallet buildx ...`): buildx's builder and build-cache commands.

create/ls/use/inspect/rm/stop manage builder instances (pallet.builders); prune/du work on
one builder's cache: --builder, else BUILDX_BUILDER, else the one `use` selected, else
`default`. prune/du output is buildx's (commands/du.go, commands/prune.go): a tab-aligned
table of records, then `Reclaimable:` and `Total:` lines, sizes as go-units HumanSize.
"""

from __future__ import annotations

import re
import sys
import time

from pallet.errors import OptionError

_DURATION = re.compile(r"(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$")


def register(sub) -> None:
    p = sub.add_parser("builder", help="manage builders and their build cache (buildx create/ls/prune/...)")
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
    for cmd in (prune, du):
        cmd.add_argument("--builder", metavar="NAME", help="the builder whose cache to use")
    _register_instances(verbs)
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def run_prune(args) -> int:
    from pallet.builders import builder_root
    from pallet.state.prune import prune

    until = parse_filters(args.filter)
    keep = parse_size(args.keep_storage) if args.keep_storage else None
    root = builder_root(args.builder)  # an unknown builder fails before the prompt
    if not args.force and not _confirm(args.all):
        return 1
    report = prune(root, all=args.all, until=until, keep_storage=keep)
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
    return _ask(f"WARNING! This will remove {what}. Are you sure you want to continue?")


def run_du(args) -> int:
    from pallet.builders import builder_root
    from pallet.state.usage import load_inventory

    until = parse_filters(args.filter)
    inv = load_inventory(builder_root(args.builder))
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
    shown = item.id + ("*" if item.in_use else "")
    return [shown, str(reclaimable).lower(), human_size(item.size), _last_used(item)]


def _verbose(item, reclaimable: bool) -> str:
    fields = [["ID:", item.id], *(["Parent:", p[1][:25]] for p in item.parents),
              ["Mutable:", str(item.kind == "exec.cachemount").lower()],
              ["Reclaimable:", str(reclaimable).lower()], ["Size:", human_size(item.size)],
              ["Description:", item.description], ["In use:", str(item.in_use).lower()],
              ["Last used:", _last_used(item)], ["Type:", item.kind]]
    return tab_table(fields) + "\n"


def _last_used(item) -> str:
    from pallet.image.display import ago

    return ago(item.last_used, time.time()) if item.last_used else ""


# -- builder instances (pallet.builders) ------------------------------------------------
def _register_instances(verbs) -> None:
    create = verbs.add_parser("create", help="create a new builder instance")
    create.add_argument("--name", help="builder instance name (generated if omitted)")
    create.add_argument("--driver", help="driver to use: local (docker-container is an alias)")
    create.add_argument("--platform", action="append", default=[], metavar="PLATFORMS",
                        help="fixed platforms for the node (comma-separated, repeatable)")
    create.add_argument("--use", action="store_true", help="set the current builder instance")
    create.add_argument("--bootstrap", action="store_true", help="boot builder after creation")
    create.set_defaults(func=run_create)
    ls = verbs.add_parser("ls", help="list builder instances")
    ls.set_defaults(func=run_ls)
    use = verbs.add_parser("use", help="set the current builder instance")
    use.add_argument("name", metavar="NAME")
    use.add_argument("--default", action="store_true", help="accepted for buildx compatibility")
    use.add_argument("--global", action="store_true", help="accepted for buildx compatibility")
    use.set_defaults(func=run_use)
    inspect = verbs.add_parser("inspect", help="inspect the current (or named) builder")
    inspect.add_argument("name", nargs="?", metavar="NAME")
    inspect.add_argument("--bootstrap", action="store_true", help="boot the builder first")
    inspect.set_defaults(func=run_inspect)
    rm = verbs.add_parser("rm", help="remove one or more builder instances and their cache")
    rm.add_argument("names", nargs="*", metavar="NAME")
    rm.add_argument("--all-inactive", action="store_true", help="remove all inactive builders")
    rm.add_argument("-f", "--force", action="store_true", help="do not prompt for confirmation")
    rm.add_argument("--keep-state", action="store_true", help="keep the builder's build cache")
    rm.set_defaults(func=run_rm)
    stop = verbs.add_parser("stop", help="stop a builder instance")
    stop.add_argument("name", nargs="?", metavar="NAME")
    stop.set_defaults(func=run_stop)
    for cmd in (inspect, rm, stop):
        cmd.add_argument("--builder", metavar="NAME", help="the builder (default: the current one)")


def run_create(args) -> int:
    from pallet.builders import Registry
    from pallet.builders.registry import RUNNING
    from pallet.image.platform import parse_platform
    from pallet.state.root import StateRoot

    platforms = [str(parse_platform(p)) for arg in args.platform for p in arg.split(",") if p.strip()]
    registry = Registry(StateRoot.default())
    builder = registry.create(args.name, args.driver, platforms, use=args.use)
    if args.bootstrap:
        registry.set_status(builder.name, RUNNING)
    print(builder.name)
    return 0


def run_ls(args) -> int:
    from pallet.builders import Registry, selected_name
    from pallet.builders.display import ls_table
    from pallet.state.root import StateRoot

    root = StateRoot.default()
    registry = Registry(root)
    sys.stdout.write(ls_table(registry.list(), selected_name(None, registry), root))
    return 0


def run_use(args) -> int:
    from pallet.builders import Registry
    from pallet.state.root import StateRoot

    Registry(StateRoot.default()).use(args.name)
    return 0


def run_inspect(args) -> int:
    from pallet.builders import Registry, selected_name
    from pallet.builders.display import inspect_text
    from pallet.builders.registry import RUNNING
    from pallet.state.root import StateRoot

    root = StateRoot.default()
    registry = Registry(root)
    name = registry.get(args.name or selected_name(args.builder, registry)).name
    if args.bootstrap:
        registry.set_status(name, RUNNING)
    sys.stdout.write(inspect_text(registry.get(name), root))
    return 0


def run_rm(args) -> int:
    from pallet.builders import BuilderError, Registry, selected_name
    from pallet.builders.registry import RUNNING
    from pallet.builders.remove import remove_builder
    from pallet.state.root import StateRoot

    root = StateRoot.default()
    registry = Registry(root)
    if args.all_inactive:
        if args.names:
            raise OptionError("cannot specify builder name when --all-inactive is set")
        if not args.force and not _ask("WARNING! This will remove all builders that are not in "
                                       "running state. Are you sure you want to continue?"):
            return 1
        names = [b.name for b in registry.list() if not b.is_default and b.status != RUNNING]
    else:
        names = args.names or [selected_name(args.builder, registry)]
    failed = 0
    for name in names:
        try:
            remove_builder(root, name, keep_state=args.keep_state)
        except BuilderError as err:
            if len(names) == 1:
                raise
            failed += 1
            print(f"failed to remove {name}: {err.message}", file=sys.stderr)
            continue
        print(f"{name} removed", file=sys.stderr)
    if failed:
        raise BuilderError("failed to remove one or more builders")
    return 0


def run_stop(args) -> int:
    from pallet.builders import Registry, selected_name
    from pallet.builders.registry import STOPPED
    from pallet.state.root import StateRoot

    registry = Registry(StateRoot.default())
    builder = registry.get(args.name or selected_name(args.builder, registry))
    registry.set_status(builder.name, STOPPED)  # default: nothing to stop, as docker's
    return 0


def _ask(question: str) -> bool:
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


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
    """go-units HumanSize, as buildx du prints it: 4 significant digits ("16.43MB")."""
    from pallet.image.display import human_size as go_human_size

    return go_human_size(size, 4)


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
