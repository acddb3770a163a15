"""Deployment: the images the compose stack (docker/compose.yaml) runs, built without a registry.

- wheelhouse.py: the host's pip downloads wheels for an image's Python (containers reach no index).
- server_image.py: docker/server.Dockerfile (the server and `dlsys worker`) and
  docker/postgres.Dockerfile built from the repository and a wheelhouse.
"""
