"""OCI distribution client: pull images from, and push them to, a registry.

    endpoints.py   reference -> registry host, scheme, mirrors, URLs (Docker Hub's rules)
    settings.py    pallet's registries file: insecure registries and docker.io mirrors
    credentials.py ~/.docker/config.json: `auths`, `credsStore`, `credHelpers`; login/logout
    auth.py        WWW-Authenticate challenges, bearer tokens per scope, basic auth
    client.py      HTTP with auth retries; the one place httpx errors become RegistryErrors
    repository.py  the distribution API calls of one repository (manifests, blobs, uploads)
    partial.py     downloads kept by digest in ingest/, resumed with Range
    pull.py        index -> platform manifest -> config + layers (parallel, resumable)
    push.py        blobs (skip, mount, monolithic or chunked upload) then manifests
    login.py       check credentials against /v2/, then store them
    api.py         pull(name) / push(name) on the default state root (CLI, build engine)

The API (https://github.com/opencontainers/distribution-spec/blob/main/spec.md) is what
docker, containerd and skopeo speak; behaviour and messages follow docker's CLI.
"""
