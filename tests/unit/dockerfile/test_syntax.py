import pytest

from pallet.dockerfile.parser import parse
from pallet.dockerfile.syntax import check_syntax
from pallet.errors import ParseError

OURS = [
    "docker/dockerfile:experimental", "docker/dockerfile-upstream:master",
    "docker/dockerfile:1", "docker/dockerfile:1.7", "docker/dockerfile:1.7-labs",
    "docker/dockerfile:1-labs", "docker.io/docker/dockerfile:1.4.3", "docker/dockerfile",
    "docker/dockerfile-upstream:1.8.0", "docker/dockerfile:labs",
    "docker/dockerfile:1@sha256:" + "a" * 64,
]
OTHERS = ["example.com/custom/frontend:1", "docker/dockerfile:0.9", "tonistiigi/dockerfile:runmount",
          "ghcr.io/x/y"]


@pytest.mark.parametrize("image", OURS)
def test_buildkit_frontend_is_accepted(image):
    check_syntax(parse(f"# syntax={image}\nFROM scratch\n"))


@pytest.mark.parametrize("image", OTHERS)
def test_other_frontends_are_a_clear_error(image):
    with pytest.raises(ParseError) as info:
        check_syntax(parse(f"# syntax={image}\nFROM scratch\n"))
    assert info.value.message == f'unsupported frontend "{image}": pallet only implements docker/dockerfile:1'
    assert info.value.line == 1
    assert "docker/dockerfile:1" in info.value.hint


def test_no_syntax_line():
    check_syntax(parse("FROM scratch\n"))
