"""`pallet build` against a real registry: FROM pulls a missing base image (shown in the
plain progress), `--push` sends the result, and a fresh store pulls it back."""

from __future__ import annotations

from pallet.testing import busybox_tar, require_runtime

from .test_push_pull import skopeo_inspect, wipe_root


def test_build_pulls_its_base_and_pushes_its_result(registry, pallet, env, tmp_path):
    require_runtime()
    base, result = f"{registry.host}/busybox:base", f"{registry.host}/app:v1"
    pallet("import", "--change", "CMD [\"sh\"]", str(busybox_tar()), base)
    pallet("push", base)
    wipe_root(env)  # a fresh machine: the base is only in the registry

    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {base}\nRUN echo built > /built\n")
    _, _, err = pallet("build", "--progress=plain", "--push", "-t", result, str(context))
    assert f"[internal] load metadata for {base}" in err, err
    pushed = skopeo_inspect(registry.host, "app:v1")
    assert len(pushed["Layers"]) == 2

    wipe_root(env)
    pallet("pull", result)
    code, out, _ = pallet("history", result)
    assert "RUN /bin/sh -c echo built > /built # buildkit" in out
