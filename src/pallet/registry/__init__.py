"""OCI distribution client: pull images from, and push them to, a registry.

    endpoints.py   reference -> registry host, scheme, mirrors, URLs (Docker Hub's rules)
    settings.py    pallet's registries file: insecure registries and docker.io mirrors
    credentials.py ~/.docker/config.json: `auths`, `credsStore`, `credHelpers`; login/logout
    auth.py        WWW-Authenticate challenges, bearer tokens per scope, basic auth
    client.py      the HTTP calls of the distribution API; the one place httpx errors
                   become RegistryError subclasses
    pull.py        index -> platform manifest -> config + layers (parallel, resumable)
    push.py        blobs (skip, mount, monolithic or chunked upload) then manifests

The API (https://github.com/opencontainers/distribution-spec/blob/main/spec.md) is what
docker, containerd and skopeo speak; behaviour and messages follow docker's CLI.
"""
