import pytest

from pallet.errors import OptionError
from pallet.image.display import ellipsis, human_duration, human_size, render_template, table

SIZES = [(0, "0B"), (999, "999B"), (13256, "13.3kB"), (4265000, "4.26MB"), (1_000_000, "1MB"), (2.5e9, "2.5GB")]
DURATIONS = [
    (0.2, "Less than a second"), (1, "1 second"), (59, "59 seconds"), (60, "About a minute"),
    (150, "2 minutes"), (3600, "About an hour"), (5 * 3600, "5 hours"), (3 * 86400, "3 days"),
    (20 * 86400, "2 weeks"), (90 * 86400, "3 months"), (3 * 365 * 86400, "3 years"),
]


@pytest.mark.parametrize("size,text", SIZES)
def test_human_size(size, text):
    assert human_size(size) == text


@pytest.mark.parametrize("seconds,text", DURATIONS)
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


def test_table_like_docker():
    out = table([["REPOSITORY", "TAG", "IMAGE ID"], ["hello-world", "latest", "d2c94e258dcb"]])
    assert out == "REPOSITORY    TAG       IMAGE ID\nhello-world   latest    d2c94e258dcb\n"


def test_ellipsis():
    assert ellipsis("abcdef", 4) == "abc…"
    assert ellipsis("abc", 4) == "abc"


def test_templates():
    data = {"Id": "sha256:x", "Config": {"Env": ["A=1"], "Labels": None}}
    assert render_template("{{.Id}} {{.Config.Env}} {{json .Config}}", data) == (
        'sha256:x [A=1] {"Env":["A=1"],"Labels":null}'
    )
    with pytest.raises(OptionError):
        render_template("{{.Nope}}", data)
    with pytest.raises(OptionError):
        render_template("{{range .Config.Env}}{{end}}", data)
