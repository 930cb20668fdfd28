"""make_config: the OCI config.json of a RUN step, against golden dicts."""

from __future__ import annotations

import pytest

from pallet.errors import OptionError
from pallet.executor.bundle import (
    DEFAULT_PATH,
    BundleSpec,
    ProcessSpec,
    bind_mount,
    make_config,
    tmpfs_mount,
)
from pallet.executor.user import ExecUser

CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]

GOLDEN_HOST_NETWORK = {
    "ociVersion": "1.0.2",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": ["/bin/sh", "-c", "make"],
        "env": ["PATH=/usr/bin:/bin", "GOFLAGS=-mod=vendor"],
        "cwd": "/src",
        "capabilities": {"bounding": CAPS, "effective": CAPS, "permitted": CAPS},
        "noNewPrivileges": False,
    },
    "root": {"path": "/b/rootfs", "readonly": False},
    "hostname": "buildkitsandbox",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/etc/resolv.conf", "type": "bind", "source": "/b/resolv.conf",
         "options": ["nosuid", "noexec", "nodev", "rbind", "ro"]},
        {"destination": "/etc/hosts", "type": "bind", "source": "/b/hosts",
         "options": ["nosuid", "noexec", "nodev", "rbind", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["ro", "nosuid", "noexec", "nodev"]},
    ],
    "linux": {
        "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
        "maskedPaths": [
            "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
        ],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        "resources": {"devices": [{"allow": False, "access": "rwm"}]},
    },
}


def bundle(**process) -> BundleSpec:
    base = {"args": ("/bin/sh", "-c", "make"), "env": ("PATH=/usr/bin:/bin", "GOFLAGS=-mod=vendor"),
            "cwd": "/src"}
    return BundleSpec(ProcessSpec(**(base | process)), "/b/rootfs", "/b/hosts", "/b/resolv.conf")


def test_host_network_golden():
    assert make_config(bundle()) == GOLDEN_HOST_NETWORK


def test_network_none_adds_a_network_namespace():
    config = make_config(bundle(network="none"))
    assert config["linux"]["namespaces"][-1] == {"type": "network"}
    assert {k: v for k, v in config.items() if k != "linux"} == {
        k: v for k, v in GOLDEN_HOST_NETWORK.items() if k != "linux"
    }


def test_unknown_network_is_a_user_error():
    with pytest.raises(OptionError, match='network mode "bridge" not supported'):
        make_config(bundle(network="bridge"))


@pytest.mark.parametrize(
    "env, expected",
    [
        ((), [DEFAULT_PATH]),
        (("A=1",), ["A=1", DEFAULT_PATH]),
        (("PATH=/x", "A=1"), ["PATH=/x", "A=1"]),
        (("PATHX=1",), ["PATHX=1", DEFAULT_PATH]),
    ],
    ids=["empty", "no-path", "has-path", "prefix-is-not-path"],
)
def test_default_path_only_when_the_image_has_none(env, expected):
    assert make_config(bundle(env=env))["process"]["env"] == expected


def test_resolved_user_with_supplementary_groups():
    spec = BundleSpec(ProcessSpec(("id",)), "/r", "/h", "/rc", ExecUser(1000, 100, (27, 44)))
    assert make_config(spec)["process"]["user"] == {"uid": 1000, "gid": 100, "additionalGids": [27, 44]}


def test_extra_mounts_come_last_and_replace_same_destination():
    extra = (bind_mount("/ctx", "/src", readonly=True), tmpfs_mount("/tmp", size=1 << 20),
             tmpfs_mount("/dev/shm"))
    mounts = make_config(bundle(mounts=extra))["mounts"]
    dests = [m["destination"] for m in mounts]
    assert dests == ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                     "/etc/resolv.conf", "/etc/hosts", "/sys/fs/cgroup", "/src", "/tmp"]
    assert mounts[3] == {"destination": "/dev/shm", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}
    assert mounts[-2] == {"destination": "/src", "type": "bind", "source": "/ctx", "options": ["rbind", "ro"]}
    assert mounts[-1]["options"] == ["nosuid", "size=1048576"]


def test_hostname_tty_and_args_are_passed_through():
    config = make_config(bundle(hostname="builder", tty=True, args=("echo", "a b")))
    assert config["hostname"] == "builder"
    assert config["process"]["terminal"] is True
    assert config["process"]["args"] == ["echo", "a b"]
