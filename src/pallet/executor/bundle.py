"""The OCI runtime config.json of a RUN step, as data.

`make_config` is pure: every input is in `BundleSpec`, the output is the dict
runc reads (runtime-spec `config.md`, `config-linux.md`). The defaults are what
BuildKit's runc worker produces: containerd's `oci.populateDefaultUnixSpec`
(namespaces, capabilities, masked and read-only paths, device cgroup) with
BuildKit's overrides from `executor/oci/spec.go` and `mounts.go`:

- mounts are BuildKit's `GetMounts` list (no /run, /proc without options), then
  /etc/resolv.conf and /etc/hosts bound read-only, then a read-only cgroup mount,
  then the step's own mounts; a later mount for the same destination wins;
- no rlimits (the step inherits ours), and noNewPrivileges false (setuid works);
- hostname `buildkitsandbox`;
- a new network namespace only for network=none (runc brings up `lo` in it);
  the host network otherwise.

Not done yet: Docker's default seccomp profile, AppArmor, user namespaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pallet.errors import OptionError
from pallet.executor.hostfiles import DEFAULT_HOSTNAME
from pallet.executor.user import ExecUser

OCI_VERSION = "1.0.2"
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Docker's default capability set (containerd oci/spec.go defaultUnixCaps).
DEFAULT_CAPS = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
)
MASKED_PATHS = (
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
)
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
NETWORKS = ("host", "none")
# Capability numbers (linux/capability.h), for RUN --security=insecure: it gets every
# capability this process may grant, like containerd's `WithAllCurrentCapabilities` that
# BuildKit's privileged mode uses; asking for one outside our bounding set fails in runc.
CAP_NAMES = (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
)


def current_caps(status: str = "/proc/self/status") -> tuple[str, ...]:
    """The capabilities in this process's bounding set, by name."""
    try:
        with open(status) as f:
            mask = next(int(line.split()[1], 16) for line in f if line.startswith("CapBnd:"))
    except (OSError, StopIteration, ValueError):
        return DEFAULT_CAPS
    return tuple(f"CAP_{n}" for i, n in enumerate(CAP_NAMES) if mask >> i & 1)


@dataclass(frozen=True, slots=True)
class SpecMount:
    """One entry of config.json's `mounts`."""

    destination: str
    type: str
    source: str
    options: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        d = {"destination": self.destination, "type": self.type, "source": self.source}
        return d | ({"options": list(self.options)} if self.options else {})


def bind_mount(source: str, destination: str, readonly: bool = False) -> SpecMount:
    """A RUN --mount=type=bind style mount (BuildKit: rbind, ro unless rw)."""
    return SpecMount(destination, "bind", source, ("rbind", "ro" if readonly else "rw"))


def tmpfs_mount(destination: str, size: int | None = None) -> SpecMount:
    """A RUN --mount=type=tmpfs mount (BuildKit: nosuid, plus size= when given)."""
    return SpecMount(destination, "tmpfs", "tmpfs", ("nosuid",) + ((f"size={size}",) if size else ()))


# BuildKit executor/oci/mounts.go:GetMounts
DEFAULT_MOUNTS = (
    SpecMount("/proc", "proc", "proc"),
    SpecMount("/dev", "tmpfs", "tmpfs", ("nosuid", "strictatime", "mode=755", "size=65536k")),
    SpecMount("/dev/pts", "devpts", "devpts",
              ("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")),
    SpecMount("/dev/shm", "tmpfs", "shm", ("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
    SpecMount("/dev/mqueue", "mqueue", "mqueue", ("nosuid", "noexec", "nodev")),
    SpecMount("/sys", "sysfs", "sysfs", ("nosuid", "noexec", "nodev", "ro")),
)
RO_BIND = ("nosuid", "noexec", "nodev", "rbind", "ro")  # BuildKit mounts.go:withROBind
CGROUP_MOUNT = SpecMount("/sys/fs/cgroup", "cgroup", "cgroup", ("ro", "nosuid", "noexec", "nodev"))


@dataclass(frozen=True, slots=True)
class ProcessSpec:
    """What to run, as the build engine asks for it (the USER is not resolved yet)."""

    args: tuple[str, ...]
    env: tuple[str, ...] = ()
    cwd: str = "/"
    user: str = ""
    network: str = "host"
    hostname: str = DEFAULT_HOSTNAME
    mounts: tuple[SpecMount, ...] = ()
    extra_hosts: tuple[tuple[str, str], ...] = ()
    tty: bool = False
    privileged: bool = False  # RUN --security=insecure: all caps, all devices, no masks


@dataclass(frozen=True, slots=True)
class BundleSpec:
    """Everything `make_config` needs: the process, its resolved user, and host paths."""

    process: ProcessSpec
    rootfs: str
    hosts_file: str
    resolv_conf: str
    user: ExecUser = field(default_factory=lambda: ExecUser(0, 0))


def make_config(spec: BundleSpec) -> dict:
    """The config.json dict for `spec`."""
    proc = spec.process
    return {
        "ociVersion": OCI_VERSION,
        "process": _process(proc, spec.user),
        "root": {"path": spec.rootfs, "readonly": False},
        "hostname": proc.hostname,
        "mounts": [m.to_dict() for m in _mounts(spec)],
        "linux": _linux(proc.network, proc.privileged),
    }


def with_default_path(env: tuple[str, ...]) -> list[str]:
    """The env, plus BuildKit's default PATH when it has none (llbsolver/ops/exec.go)."""
    has_path = any(e.startswith("PATH=") for e in env)
    return list(env) if has_path else [*env, DEFAULT_PATH]


def _process(proc: ProcessSpec, user: ExecUser) -> dict:
    user_dict = {"uid": user.uid, "gid": user.gid}
    if user.additional_gids:
        user_dict["additionalGids"] = list(user.additional_gids)
    caps = list(current_caps() if proc.privileged else DEFAULT_CAPS)
    return {
        "terminal": proc.tty,
        "user": user_dict,
        "args": list(proc.args),
        "env": with_default_path(proc.env),
        "cwd": proc.cwd,
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        "noNewPrivileges": False,
    }


def _mounts(spec: BundleSpec) -> list[SpecMount]:
    mounts = [
        *DEFAULT_MOUNTS,
        SpecMount("/etc/resolv.conf", "bind", spec.resolv_conf, RO_BIND),
        SpecMount("/etc/hosts", "bind", spec.hosts_file, RO_BIND),
        CGROUP_MOUNT,
        *spec.process.mounts,
    ]
    return _dedup(mounts)


def _dedup(mounts: list[SpecMount]) -> list[SpecMount]:
    """BuildKit's dedupMounts: one mount per destination, the last one, at the first's place."""
    out: dict[str, SpecMount] = {}
    for m in mounts:
        out[m.destination.rstrip("/") or "/"] = m
    return list(out.values())


def _linux(network: str, privileged: bool = False) -> dict:
    if network not in NETWORKS:
        raise OptionError(f'network mode "{network}" not supported', hint=f"use one of: {', '.join(NETWORKS)}")
    kinds = ["pid", "ipc", "uts", "mount"] + (["network"] if network == "none" else [])
    if privileged:
        return {"namespaces": [{"type": k} for k in kinds],
                "resources": {"devices": [{"allow": True, "access": "rwm"}]}}
    return {
        "namespaces": [{"type": k} for k in kinds],
        "maskedPaths": list(MASKED_PATHS),
        "readonlyPaths": list(READONLY_PATHS),
        # Deny all devices; runc adds its default allow list (null, zero, tty, ...).
        "resources": {"devices": [{"allow": False, "access": "rwm"}]},
    }
