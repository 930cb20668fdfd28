"""--iidfile and --metadata-file, written from the exporters' responses as buildx writes them.

The response keys are BuildKit's (exptypes): `containerimage.digest` (manifest or index),
`containerimage.config.digest`, `containerimage.descriptor` (a JSON object in the file),
`image.name` (comma-separated). buildx marshals a Go map: keys sorted, two-space indent.
"""

from __future__ import annotations

import json
import os


def image_id(response: dict) -> str:
    """buildx's getImageID: the config digest when there is one, else the manifest's."""
    return response.get("containerimage.config.digest") or response.get("containerimage.digest", "")


def write_iidfile(path: str, response: dict) -> None:
    _write(path, image_id(response))


def write_metadata_file(path: str, response: dict) -> None:
    _write(path, json.dumps(response, indent=2, sort_keys=True))


def _write(path: str, text: str) -> None:
    """Through a temporary file and a rename, like every file pallet hands to a user."""
    tmp = f"{path}.pallet-tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
