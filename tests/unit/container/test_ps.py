"""`pallet ps` columns, signal names and container names, as docker prints and takes them."""

import pytest

from pallet.container.errors import ContainerError
from pallet.container.names import generate_name, validate_name
from pallet.container.ps import command_text, row, status_text
from pallet.container.record import CREATED, EXITED, RUNNING, Container, ContainerSpec
from pallet.container.signals import parse_signal

NOW = 1000.0


def make(**fields):
    base = dict(id="ab" * 32, name="web", image="busybox", image_id="sha256:x",
                spec=ContainerSpec(("httpd", "-f", "-p", "3000", "-h", "/www")), created=NOW - 120)
    return Container(**(base | fields))


@pytest.mark.parametrize("fields,expected", [
    (dict(status=RUNNING, started=NOW - 5), "Up 5 seconds"),
    (dict(status=EXITED, exit_code=7, finished=NOW - 3), "Exited (7) 3 seconds ago"),
    (dict(status=CREATED), "Created"),
], ids=["up", "exited", "created"])
def test_status(fields, expected):
    assert status_text(make(**fields), NOW) == expected


def test_row_truncates_like_docker():
    c = make(status=RUNNING, started=NOW - 5)
    assert row(c, NOW) == ["abababababab", "busybox", '"httpd -f -p 3000 -h…"', "2 minutes ago",
                           "Up 5 seconds", "", "web"]
    assert command_text(c, no_trunc=True) == '"httpd -f -p 3000 -h /www"'


@pytest.mark.parametrize("text,expected", [("TERM", "SIGTERM"), ("sigkill", "SIGKILL"), ("9", "SIGKILL"),
                                           ("SIGQUIT", "SIGQUIT")])
def test_parse_signal(text, expected):
    assert parse_signal(text) == expected


@pytest.mark.parametrize("text", ["NOPE", "999", ""])
def test_bad_signal(text):
    with pytest.raises(ContainerError, match="Invalid signal"):
        parse_signal(text)


def test_names():
    assert validate_name("/web.1") == "web.1"
    with pytest.raises(ContainerError, match=r"Invalid container name \(a b\)"):
        validate_name("a b")
    name = generate_name(set())
    assert validate_name(name) == name
