"""`pallet run`, `exec`, `stop`, `kill`, `ps`, `logs`, `rm`: docker's container verbs.

Flags, output and exit codes follow the docker CLI: 125 when pallet itself fails, 126/127
when the command cannot be run or found, the container's own exit code otherwise.
"""

from __future__ import annotations

import argparse
import functools
import sys


def register(sub) -> None:
    _register_run(sub)
    _register_exec(sub)
    p = sub.add_parser("stop", help="stop one or more running containers")
    p.add_argument("-t", "--time", "--timeout", dest="time", type=int, default=None,
                   help="seconds to wait before killing the container (default 10)")
    p.add_argument("containers", nargs="+", metavar="CONTAINER")
    p.set_defaults(func=run_stop)

    p = sub.add_parser("kill", help="kill one or more running containers")
    p.add_argument("-s", "--signal", default="KILL", help="signal to send (default KILL)")
    p.add_argument("containers", nargs="+", metavar="CONTAINER")
    p.set_defaults(func=run_kill)

    p = sub.add_parser("ps", help="list containers")
    p.add_argument("-a", "--all", action="store_true", help="show all containers (default shows just running)")
    p.add_argument("-q", "--quiet", action="store_true", help="only display container IDs")
    p.add_argument("--no-trunc", action="store_true", help="don't truncate output")
    p.set_defaults(func=run_ps)

    p = sub.add_parser("logs", help="fetch the logs of a container")
    p.add_argument("-f", "--follow", action="store_true", help="follow log output")
    p.add_argument("-n", "--tail", default="all", help='lines to show from the end (default "all")')
    p.add_argument("-t", "--timestamps", action="store_true", help="show timestamps")
    p.add_argument("container", metavar="CONTAINER")
    p.set_defaults(func=run_logs)

    p = sub.add_parser("rm", help="remove one or more containers")
    p.add_argument("-f", "--force", action="store_true", help="force the removal of a running container")
    p.add_argument("containers", nargs="+", metavar="CONTAINER")
    p.set_defaults(func=run_rm)


def _register_run(sub) -> None:
    p = sub.add_parser("run", help="create and run a new container from an image")
    p.add_argument("--name", default="", help="assign a name to the container")
    p.add_argument("--rm", action="store_true", help="remove the container when it exits")
    p.add_argument("-d", "--detach", action="store_true", help="run in the background and print the container ID")
    p.add_argument("--entrypoint", default=None, help="overwrite the default ENTRYPOINT of the image")
    p.add_argument("--env-file", action="append", default=[], help="read in a file of environment variables")
    p.add_argument("--network", "--net", default="host", help="network mode: host or none")
    p.add_argument("-v", "--volume", action="append", default=[], help="bind mount HOST:CONTAINER[:ro]")
    p.add_argument("--stop-signal", default="", help="signal to stop the container")
    _process_flags(p)
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("command", nargs="...", metavar="COMMAND")
    p.set_defaults(func=run_run)


def _register_exec(sub) -> None:
    p = sub.add_parser("exec", help="execute a command in a running container")
    p.add_argument("-d", "--detach", action="store_true", help=argparse.SUPPRESS)
    _process_flags(p)
    p.add_argument("container", metavar="CONTAINER")
    p.add_argument("command", nargs="...", metavar="COMMAND")
    p.set_defaults(func=run_exec)


def _process_flags(p) -> None:
    p.add_argument("-e", "--env", action="append", default=[], help="set environment variables")
    p.add_argument("-w", "--workdir", default="", help="working directory inside the container")
    p.add_argument("-u", "--user", default=None, help="username or UID (format: <name|uid>[:<group|gid>])")
    p.add_argument("-i", "--interactive", action="store_true", help="keep STDIN open")
    p.add_argument("-t", "--tty", action="store_true", help="allocate a pseudo-TTY")


def docker_exit_codes(func):
    """Any pallet error from a container verb exits 125, like docker's own failures,
    unless it carries a more specific code (126/127 from the command, ContainerError's)."""

    @functools.wraps(func)
    def wrapper(args):
        from pallet.container.errors import EXIT_PALLET, ContainerError
        from pallet.errors import PalletError

        try:
            return func(args)
        except PalletError as e:
            if not isinstance(e, ContainerError):
                e.exit_code = EXIT_PALLET
            raise

    return wrapper


def _containers():
    from pallet.container import Containers

    return Containers.open()


@docker_exit_codes
def run_run(args) -> int:
    from pallet.container import RunOptions, run_foreground
    from pallet.container.execute import check_tty
    from pallet.container.supervise import start_detached

    opts = RunOptions(
        image=args.image, command=_command(args), name=args.name, auto_remove=args.rm,
        detach=args.detach, env=tuple(args.env), env_files=tuple(args.env_file),
        entrypoint=args.entrypoint, workdir=args.workdir, user=args.user,
        interactive=args.interactive, tty=args.tty, network=args.network,
        volumes=tuple(args.volume), stop_signal=args.stop_signal)
    if not args.detach:
        check_tty(args.interactive, args.tty)
    containers = _containers()
    c = containers.create(opts)
    if not args.detach:
        return run_foreground(containers, c)
    start_detached(containers, c)
    print(c.id)
    return 0


@docker_exit_codes
def run_exec(args) -> int:
    from pallet.container import ExecOptions, exec_in
    from pallet.container.errors import ContainerError
    from pallet.container.execute import check_tty

    if args.detach:
        raise ContainerError("pallet exec --detach is not supported", hint="run it in the background with &")
    check_tty(args.interactive, args.tty)
    opts = ExecOptions(_command(args), args.interactive, args.tty, tuple(args.env), args.workdir, args.user)
    containers = _containers()
    return exec_in(containers, containers.find(args.container), opts)


def _command(args) -> tuple[str, ...]:
    """COMMAND as given, without the `--` that may separate it from pallet's flags."""
    return tuple(args.command[1:] if args.command[:1] == ["--"] else args.command)


def _each(refs: list[str], action) -> int:
    """docker's multi-container verbs: do each, print its name, report each failure and go on."""
    from pallet.container.errors import EXIT_PALLET
    from pallet.errors import PalletError

    code = 0
    for ref in refs:
        try:
            action(ref)
        except PalletError as e:
            print(e.render(), file=sys.stderr)
            code = EXIT_PALLET
            continue
        print(ref, flush=True)
    return code


@docker_exit_codes
def run_stop(args) -> int:
    from pallet.container.errors import ContainerError

    if args.time is not None and args.time < 0:
        raise ContainerError(f"invalid timeout: {args.time}")
    containers = _containers()
    return _each(args.containers, lambda ref: containers.stop(containers.find(ref), args.time))


@docker_exit_codes
def run_kill(args) -> int:
    from pallet.container.signals import parse_signal

    signal = parse_signal(args.signal)
    containers = _containers()
    return _each(args.containers, lambda ref: containers.kill(containers.find(ref), signal))


@docker_exit_codes
def run_rm(args) -> int:
    containers = _containers()
    return _each(args.containers, lambda ref: containers.remove(containers.find(ref), args.force))


@docker_exit_codes
def run_ps(args) -> int:
    import time

    from pallet.container.ps import HEADER, row
    from pallet.image.display import table

    shown = [c for c in _containers().list() if args.all or c.is_running]
    if args.quiet:
        sys.stdout.write("".join(f"{c.id if args.no_trunc else c.short_id}\n" for c in shown))
        return 0
    now = time.time()
    sys.stdout.write(table([HEADER, *(row(c, now, args.no_trunc) for c in shown)]))
    return 0


@docker_exit_codes
def run_logs(args) -> int:
    from pallet.container.errors import ContainerError
    from pallet.container.logfile import follow_entries, log_size, read_entries

    tail = None if args.tail == "all" else _tail(args.tail)
    containers = _containers()
    c = containers.find(args.container)
    log = containers.paths(c).log
    offset = log_size(log)
    for entry in read_entries(log, tail):
        _print_entry(entry, args.timestamps)
    if args.follow and log.exists():
        running = lambda: (now := containers.store.get(c.id)) is not None and containers.refresh(now).is_running  # noqa: E731
        for entry in follow_entries(log, offset, running):
            _print_entry(entry, args.timestamps)
    elif args.follow and not log.exists():
        raise ContainerError(f"no log for container {c.name}")
    return 0


def _tail(text: str) -> int:
    from pallet.container.errors import ContainerError

    try:
        return max(int(text), 0)
    except ValueError:
        raise ContainerError(f'invalid value for "tail": "{text}"') from None


def _print_entry(entry, timestamps: bool) -> None:
    out = sys.stdout if entry.stream == "stdout" else sys.stderr
    out.write((entry.time + " " if timestamps else "") + entry.text)
    out.flush()
