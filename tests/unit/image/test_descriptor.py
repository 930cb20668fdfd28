from pallet.image.descriptor import Descriptor
from pallet.image.platform import Platform


def test_bare_keeps_media_type_digest_and_size_only():
    full = Descriptor("application/x", "sha256:" + "a" * 64, 3, {"k": "v"}, Platform("linux", "amd64"))
    assert full.bare().to_dict() == {"mediaType": "application/x", "digest": "sha256:" + "a" * 64, "size": 3}
