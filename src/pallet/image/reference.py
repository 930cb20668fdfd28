"""Image references, normalised as Docker does (distribution/reference normalize.go).

`golang` is `docker.io/library/golang:latest`; `localhost:5000/app` keeps its host because the
first component has a `:`; `ghcr.io/o/app@sha256:...` pins a digest. The familiar form
(`golang:latest`, `localhost:5000/app:v1`) is what `pallet images` shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pallet.errors import UserError

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_MAX = 255

# distribution/reference regexp.go, transcribed.
_ALNUM = r"[a-z0-9]+"
_SEP = r"(?:[._]|__|[-]+)"
_COMPONENT = rf"{_ALNUM}(?:{_SEP}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE_RE = re.compile(
    rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
HEX64_RE = re.compile(r"^[a-f0-9]{64}$")


@dataclass(frozen=True, slots=True)
class Reference:
    domain: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    def familiar_name(self) -> str:
        """`docker.io/library/busybox` -> `busybox`, `docker.io/me/app` -> `me/app`."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        path = self.path
        if path.startswith(OFFICIAL_PREFIX) and "/" not in path[len(OFFICIAL_PREFIX) :]:
            path = path[len(OFFICIAL_PREFIX) :]
        return path

    def familiar(self) -> str:
        return self.familiar_name() + (f":{self.tag}" if self.tag else "") + (
            f"@{self.digest}" if self.digest else ""
        )

    def with_default_tag(self) -> Reference:
        """`x` -> `x:latest`; a reference with a tag or digest is kept (TagNameOnly)."""
        if self.tag or self.digest:
            return self
        return Reference(self.domain, self.path, DEFAULT_TAG)


def _bad(text: str, detail: str = "") -> UserError:
    msg = f'invalid reference format{": " + detail if detail else ""}: "{text}"'
    return UserError(msg, hint="use NAME[:TAG][@DIGEST], e.g. busybox:latest or localhost:5000/app:v1")


def _split_domain(name: str) -> tuple[str, str]:
    head, sep, rest = name.partition("/")
    if not sep or ("." not in head and ":" not in head and head != "localhost" and head.lower() == head):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = head, rest
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_PREFIX + remainder
    return domain, remainder


def parse_reference(text: str) -> Reference:
    """ParseNormalizedNamed: the full reference, without adding a default tag."""
    if HEX64_RE.match(text):
        raise UserError(
            f'invalid repository name "{text}": cannot specify 64-byte hexadecimal strings',
            hint="to name an image by id use its short id or sha256:<id>",
        )
    domain, remainder = _split_domain(text)
    remote = remainder.split("@", 1)[0].split(":", 1)[0]
    if remote.lower() != remote:
        raise _bad(text, "repository name must be lowercase")
    m = REFERENCE_RE.match(f"{domain}/{remainder}")
    if not m or m.group("domain") is None:
        raise _bad(text)
    if len(f"{domain}/{m.group('path')}") > NAME_MAX:
        raise _bad(text, f"repository name must not be more than {NAME_MAX} characters")
    digest = m.group("digest") or ""
    if digest and not digest.startswith("sha256:"):
        raise _bad(text, "only sha256 digests are supported")
    return Reference(m.group("domain"), m.group("path"), m.group("tag") or "", digest)


def parse_tagged(text: str) -> Reference:
    """A reference with `:latest` added when it has neither tag nor digest."""
    return parse_reference(text).with_default_tag()
