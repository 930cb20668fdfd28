import pytest

from pallet.errors import UserError
from pallet.image.reference import parse_reference, parse_tagged

NORMALISED = [
    # text, full normalised reference, familiar form
    ("golang", "docker.io/library/golang:latest", "golang:latest"),
    ("golang:1.22", "docker.io/library/golang:1.22", "golang:1.22"),
    ("me/app", "docker.io/me/app:latest", "me/app:latest"),
    ("index.docker.io/library/busybox:local", "docker.io/library/busybox:local", "busybox:local"),
    ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
    ("localhost:5000/team/app:v1", "localhost:5000/team/app:v1", "localhost:5000/team/app:v1"),
    ("ghcr.io/o/app@sha256:" + "a" * 64, "ghcr.io/o/app@sha256:" + "a" * 64, "ghcr.io/o/app@sha256:" + "a" * 64),
    ("a.b/c:t@sha256:" + "b" * 64, "a.b/c:t@sha256:" + "b" * 64, "a.b/c:t@sha256:" + "b" * 64),
]

BAD = [
    ("Golang", "must be lowercase"),
    ("a:b:c", "invalid reference format"),
    ("", "invalid reference format"),
    ("app:", "invalid reference format"),
    ("-app", "invalid reference format"),
    ("a" * 64, "64-byte hexadecimal"),
    ("app@sha256:abc", "invalid reference format"),
]


@pytest.mark.parametrize("text,full,familiar", NORMALISED, ids=[c[0][:30] for c in NORMALISED])
def test_normalisation(text, full, familiar):
    ref = parse_tagged(text)
    assert str(ref) == full
    assert ref.familiar() == familiar


@pytest.mark.parametrize("text,message", BAD, ids=[c[0][:20] or "empty" for c in BAD])
def test_bad_references(text, message):
    with pytest.raises(UserError) as exc:
        parse_reference(text)
    assert message in exc.value.message
    assert exc.value.hint


def test_no_default_tag_without_asking():
    assert parse_reference("busybox").tag == ""
    assert parse_reference("busybox@sha256:" + "c" * 64).with_default_tag().tag == ""
