"""`pallet run` flags + the image config -> the container's process (pure, no I/O
except reading --env-file and checking -v host paths).

docker's rules (docs.docker.com/reference/cli/docker/container/run, and
daemon/create.go / runconfig/opts):
- the command is Entrypoint + Cmd; CMD words on the command line replace Cmd;
  `--entrypoint X` replaces Entrypoint *and* drops the image's Cmd; `--entrypoint ""`
  clears it; nothing left is "No command specified";
- env: HOSTNAME, then the image's Env, then --env-file lines, then -e (later wins); a
  bare `-e KEY` copies the host's value, or is dropped when the host has none;
- -w and -u replace WorkingDir and User; STOPSIGNAL picks the stop signal.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pallet.container.errors import ContainerError
from pallet.container.record import ContainerSpec
from pallet.container.signals import parse_signal

NETWORKS = ("host", "none")


@dataclass(frozen=True)
class RunOptions:
    image: str
    command: tuple[str, ...] = ()
    name: str = ""
    auto_remove: bool = False
    detach: bool = False
    env: tuple[str, ...] = ()
    env_files: tuple[str, ...] = ()
    entrypoint: str | None = None
    workdir: str = ""
    user: str | None = None
    interactive: bool = False
    tty: bool = False
    network: str = "host"
    volumes: tuple[str, ...] = ()
    stop_signal: str = ""
    host_env: dict[str, str] = field(default_factory=lambda: dict(os.environ))


def make_spec(config: dict, opts: RunOptions, hostname: str, top_snapshot: str) -> ContainerSpec:
    """The container's spec from the image's `config` (the OCI config's "config" object)."""
    if opts.network not in NETWORKS:
        raise ContainerError(f'network "{opts.network}" not found',
                             hint=f"pallet runs containers with --network {' or '.join(NETWORKS)}")
    return ContainerSpec(
        args=tuple(resolve_args(config, opts)),
        env=tuple(resolve_env(config, opts, hostname)),
        cwd=resolve_workdir(config, opts.workdir),
        user=(config.get("User") or "") if opts.user is None else opts.user,
        network=opts.network,
        tty=opts.tty,
        stdin_open=opts.interactive,
        stop_signal=parse_signal(opts.stop_signal or config.get("StopSignal") or "SIGTERM"),
        volumes=tuple(parse_volume(v) for v in opts.volumes),
        top_snapshot=top_snapshot,
    )


def resolve_args(config: dict, opts: RunOptions) -> list[str]:
    if opts.entrypoint is not None:
        entrypoint = [opts.entrypoint] if opts.entrypoint else []
        cmd = list(opts.command)
    else:
        entrypoint = list(config.get("Entrypoint") or [])
        cmd = list(opts.command) or list(config.get("Cmd") or [])
    args = entrypoint + cmd
    if not args:
        raise ContainerError("No command specified", hint="give a command after the image name")
    return args


def resolve_env(config: dict, opts: RunOptions, hostname: str) -> list[str]:
    merged: dict[str, str] = {"HOSTNAME": hostname}
    if opts.tty:
        merged["TERM"] = "xterm"
    for entry in config.get("Env") or []:
        key, _, value = entry.partition("=")
        merged[key] = value
    for entry in [*_env_file_lines(opts.env_files), *opts.env]:
        key, sep, value = entry.partition("=")
        if not key:
            raise ContainerError(f"invalid environment variable: {entry}")
        if sep:
            merged[key] = value
        elif key in opts.host_env:
            merged[key] = opts.host_env[key]
    return [f"{k}={v}" for k, v in merged.items()]


def _env_file_lines(paths: tuple[str, ...]) -> list[str]:
    lines = []
    for path in paths:
        try:
            text = Path(path).read_text()
        except OSError as e:
            raise ContainerError(f"open {path}: {(e.strerror or str(e)).lower()}") from None
        lines += parse_env_file(text)
    return lines


def parse_env_file(text: str) -> list[str]:
    """docker's opts.ParseEnvFile: KEY=VALUE or KEY lines; '#' comments and blanks skipped."""
    out = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        if " " in key or "\t" in key:
            raise ContainerError(f"variable '{key}' contains whitespaces")
        out.append(f"{key}{sep}{value}")
    return out


def resolve_workdir(config: dict, workdir: str) -> str:
    cwd = workdir or config.get("WorkingDir") or "/"
    if not cwd.startswith("/"):
        raise ContainerError(f'the working directory "{cwd}" is invalid, it needs to be an absolute path')
    return cwd


def parse_volume(spec: str) -> tuple[str, str, bool]:
    """-v HOST:CONTAINER[:ro|rw] as (host, container, read-only); only bind mounts."""
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise ContainerError(f"invalid volume specification: '{spec}'",
                             hint="use -v /host/path:/container/path[:ro]")
    host, dest = parts[0], parts[1]
    mode = parts[2] if len(parts) == 3 else "rw"
    if mode not in ("ro", "rw"):
        raise ContainerError(f'invalid mode: {mode}', hint="use ro or rw")
    if not host.startswith("/"):
        raise ContainerError(f"invalid volume specification: '{spec}'",
                             hint="named volumes are not supported; give an absolute host path")
    if not dest.startswith("/"):
        raise ContainerError(f"invalid volume specification: '{spec}': "
                             f"invalid mount path: '{dest}' mount path must be absolute")
    return host, dest, mode == "ro"
