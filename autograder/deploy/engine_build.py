"""Building an image on the local Docker engine, for every image the project makes (grader,
server, PostgreSQL): the build's lines go to `progress`, and a failure names the Dockerfile with
the build's last lines."""
from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Callable

from autograder.errors import DlsysError


def build_image(context: Path, dockerfile: str, tag: str, buildargs: dict[str, str],
                progress: Callable[[str], None]) -> str:
    """Have the local engine build `dockerfile` in `context` as `tag`; the image id. The last lines
    of the build are in the error when it fails."""
    try:
        import docker

        client = docker.from_env(timeout=1800)
        client.ping()
    except Exception as error:  # ImportError, DockerException, requests' ConnectionError
        raise DlsysError(f"no Docker engine answers ({error}): start one to build {tag}") from error
    recent: collections.deque[str] = collections.deque(maxlen=8)
    image_id = None
    try:
        for chunk in client.api.build(path=str(context), dockerfile=dockerfile, tag=tag, buildargs=buildargs,
                                      rm=True, forcerm=True, pull=False, decode=True):
            if "error" in chunk:
                said = "".join(f"\n  {line}" for line in recent)
                raise DlsysError(f"building {tag} from docker/{dockerfile} failed: {chunk['error'].strip()}{said}")
            for line in chunk.get("stream", "").splitlines():
                if plain := re.sub(r"\x1b\[[0-9;]*m", "", line).strip():
                    progress(plain)
                    recent.append(plain)
            if "ID" in chunk.get("aux", {}):
                image_id = chunk["aux"]["ID"]
        return image_id or client.images.get(tag).id
    finally:
        client.close()
