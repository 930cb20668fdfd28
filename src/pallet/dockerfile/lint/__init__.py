"""Dockerfile lint rules (BuildKit's `frontend/dockerfile/linter`): rules as data, the
`# check=` directive, the checks themselves and their printing."""
