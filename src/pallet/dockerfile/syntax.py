"""The `# syntax=` directive: pallet *is* BuildKit's Dockerfile frontend.

`docker/dockerfile:1...` (and docker/dockerfile-upstream, with or without docker.io/,
a tag or a digest) names the frontend pallet implements, so nothing is pulled. Any other
image is a custom frontend, which pallet cannot run: a clear error instead of a silent
build with different semantics.
"""

from __future__ import annotations

import re

from pallet.errors import ParseError, Range

_OWN = re.compile(
    r"^(?:docker\.io/)?docker/dockerfile(?:-upstream)?"
    r"(?::(?:latest|labs|master|experimental|1(?:[.-][0-9A-Za-z.-]*)?))?(?:@sha256:[0-9a-f]{64})?$"
)


def check_syntax(dockerfile) -> None:
    syntax = dockerfile.directives.syntax
    if syntax is None:
        return
    image = syntax.split()[0] if syntax.split() else ""
    if _OWN.match(image):
        return
    line = dockerfile.directives.lines.get("syntax", 1)
    raise ParseError(
        f'unsupported frontend "{image}": pallet only implements docker/dockerfile:1',
        hint="remove the # syntax= line, or set it to docker/dockerfile:1",
        ranges=[Range(line, line)], source=dockerfile.source,
    )
