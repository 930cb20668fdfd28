"""The Dockerfile frontend: text in, typed instructions and stages out; no build state."""
