"""The /etc/hosts and /etc/resolv.conf a RUN step sees (bind-mounted read-only).

Both are pure text functions; `RuncExecutor` writes them into the bundle.
"""

from __future__ import annotations

import ipaddress

DEFAULT_HOSTNAME = "buildkitsandbox"  # BuildKit executor/oci/hosts.go

# What Docker's libnetwork/resolvconf puts in when no usable nameserver is left.
DEFAULT_NAMESERVERS = ("8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844")


def make_hosts(hostname: str = DEFAULT_HOSTNAME, extra_hosts: tuple[tuple[str, str], ...] = ()) -> str:
    """BuildKit's `initHostsFile` plus one `IP<TAB>host` line per --add-host."""
    text = f"127.0.0.1\tlocalhost {hostname or DEFAULT_HOSTNAME}\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    return text + "".join(f"{ip}\t{host}\n" for host, ip in extra_hosts)


def make_resolv_conf(host_text: str, network: str) -> str:
    """The container's resolv.conf made from the host's, as BuildKit's `GetResolvConf`.

    With host networking and a host nameserver, the host file is used as is. Otherwise
    loopback nameservers (a local stub resolver the container cannot reach) are dropped,
    and if none is left Google's public ones are added, as libnetwork's
    `FilterResolvDNS` does.
    """
    if network == "host" and nameservers(host_text):
        return host_text
    lines = [line for line in host_text.splitlines() if not _is_loopback_nameserver(line)]
    text = "\n".join(lines).strip("\n")
    text = text + "\n" if text else ""
    if not nameservers(text):
        text += "".join(f"nameserver {ns}\n" for ns in DEFAULT_NAMESERVERS)
    return text


def nameservers(text: str) -> list[str]:
    return [w[1] for w in (line.split() for line in text.splitlines()) if len(w) > 1 and w[0] == "nameserver"]


def _is_loopback_nameserver(line: str) -> bool:
    words = line.split()
    if len(words) < 2 or words[0] != "nameserver":
        return False
    try:
        return ipaddress.ip_address(words[1].split("%")[0]).is_loopback
    except ValueError:
        return False
