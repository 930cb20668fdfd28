"""--iidfile / --metadata-file contents, and the response an image output gives."""

import json

from pallet.exporter.commit import CommittedImage, CommittedTarget
from pallet.exporter.metadata import image_id, write_iidfile, write_metadata_file
from pallet.image.descriptor import OCI_CONFIG, OCI_MANIFEST, Descriptor
from pallet.image.manifest import Manifest
from pallet.image.platform import Platform

CONFIG = "sha256:" + "c" * 64
MANIFEST = "sha256:" + "m" * 64


def target(n=1):
    desc = Descriptor(OCI_MANIFEST, MANIFEST, 500, platform=Platform("linux", "amd64"))
    image = CommittedImage(desc, Manifest(Descriptor(OCI_CONFIG, CONFIG, 10), []), b"{}", "2023-01-01T00:00:00Z")
    return CommittedTarget(desc, (image,) * n)


def test_response_keys_as_buildkit_names_them():
    resp = target().response(("docker.io/library/app:1", "docker.io/library/app:2"))
    assert resp == {
        "containerimage.digest": MANIFEST,
        "containerimage.config.digest": CONFIG,
        "containerimage.descriptor": {
            "mediaType": OCI_MANIFEST, "digest": MANIFEST, "size": 500,
            "annotations": {"config.digest": CONFIG, "org.opencontainers.image.created": "2023-01-01T00:00:00Z"},
        },
        "image.name": "docker.io/library/app:1,docker.io/library/app:2",
    }


def test_an_index_has_no_config_digest():
    resp = target(2).response(())
    assert "containerimage.config.digest" not in resp and "image.name" not in resp
    assert image_id(resp) == MANIFEST


def test_files(tmp_path):
    resp = target().response(())
    write_iidfile(str(tmp_path / "iid"), resp)
    write_metadata_file(str(tmp_path / "meta.json"), resp)
    assert (tmp_path / "iid").read_text() == CONFIG
    text = (tmp_path / "meta.json").read_text()
    assert json.loads(text) == resp
    assert text.startswith('{\n  "containerimage.config.digest"')  # sorted keys, 2 spaces (Go)
