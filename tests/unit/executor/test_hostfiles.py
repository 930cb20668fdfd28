"""The generated /etc/hosts and /etc/resolv.conf."""

from __future__ import annotations

import pytest

from pallet.executor.hostfiles import make_hosts, make_resolv_conf

GOOGLE = "nameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n"


def test_hosts_is_buildkits():
    assert make_hosts() == "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n"


def test_hosts_with_hostname_and_extra_hosts():
    text = make_hosts("box", (("db", "10.0.0.5"), ("cache", "fd00::9")))
    assert text.splitlines() == [
        "127.0.0.1\tlocalhost box", "::1\tlocalhost ip6-localhost ip6-loopback",
        "10.0.0.5\tdb", "fd00::9\tcache",
    ]


RESOLV_CASES = [
    ("host", "nameserver 10.0.0.2\nsearch corp\n", "nameserver 10.0.0.2\nsearch corp\n"),
    ("none", "nameserver 10.0.0.2\nsearch corp\n", "nameserver 10.0.0.2\nsearch corp\n"),
    ("host", "nameserver 127.0.0.53\noptions edns0\n", "nameserver 127.0.0.53\noptions edns0\n"),
    ("none", "nameserver 127.0.0.53\noptions edns0\n", "options edns0\n" + GOOGLE),
    ("none", "nameserver ::1\nnameserver 1.1.1.1\n", "nameserver 1.1.1.1\n"),
    ("host", "", GOOGLE),
    ("host", "search corp\n", "search corp\n" + GOOGLE),
]


@pytest.mark.parametrize("network, host, expected", RESOLV_CASES)
def test_resolv_conf(network, host, expected):
    assert make_resolv_conf(host, network) == expected
