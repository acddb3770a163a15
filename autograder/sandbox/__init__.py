"""Sandboxes: where graded code runs, and how to pick one.

Every sandbox runs the same `Job` (job.py: a command over a job folder, with limits; the
view from inside) and returns a `JobResult`. A job folder holding `hello.py` runs as

    from autograder.sandbox import Job, JobLimits, pick_sandbox
    result = pick_sandbox().run(Job(job_dir, ("python3", "/job/hello.py"), JobLimits(wall_seconds=60)),
                                on_line=print)

(grading's job runs the harness instead: `autograder/grading/run_suite.py`).

- `DockerSandbox` (docker.py): production; a container of the grader image per job, which
  image.py builds (`dlsys grader-image`).
- `LocalSandbox` (local.py): bubblewrap (bwrap.py) + rlimits (rlimits.py) + cgroups
  (cgroups.py) where no Docker engine answers; `LocalSandbox(isolated=False)` is a plain
  subprocess with limits, for trusted code only.
- output.py: the output rules (stdout cap, stderr tail, lines as they come) both apply.

Only `autograder.grading` imports this package (and the CLI, to pick a sandbox and build the image).
"""
from __future__ import annotations

from autograder.errors import DlsysError
from autograder.sandbox.docker import GRADER_IMAGE, DockerSandbox, docker_available, image_exists
from autograder.sandbox.image import build_grader_image
from autograder.sandbox.job import Job, JobLimits, JobResult, Sandbox
from autograder.sandbox.local import LocalSandbox
from autograder.sandbox.output import OutputCollector

SANDBOX_KINDS = ("auto", "docker", "local", "plain")

__all__ = [
    "GRADER_IMAGE",
    "SANDBOX_KINDS",
    "DockerSandbox",
    "Job",
    "JobResult",
    "JobLimits",
    "LocalSandbox",
    "OutputCollector",
    "Sandbox",
    "build_grader_image",
    "docker_available",
    "image_exists",
    "pick_sandbox",
]


def pick_sandbox(kind: str = "auto", image: str = GRADER_IMAGE) -> Sandbox:
    """The sandbox to grade with.

    Args:
        kind: "docker"; "local" (bubblewrap); "plain" (LocalSandbox(isolated=False): no
            file isolation, trusted code only); or "auto": Docker when an engine answers
            and has `image`, the local sandbox otherwise.
        image: the grader image for Docker.

    Raises:
        DlsysError: an unknown kind, Docker asked for but unusable, or bubblewrap missing.
    """
    if kind not in SANDBOX_KINDS:
        raise DlsysError(f"unknown sandbox kind {kind!r}: choose one of {', '.join(SANDBOX_KINDS)}")
    if kind == "docker":
        if not docker_available():
            raise DlsysError("sandbox 'docker' asked for, but no Docker engine answers (or `pip install docker`)")
        if not image_exists(image):
            raise DlsysError(f"sandbox 'docker' asked for, but the image {image} is missing: run `dlsys grader-image`")
        return DockerSandbox(image)
    if kind == "auto" and docker_available() and image_exists(image):
        return DockerSandbox(image)
    return LocalSandbox(isolated=kind != "plain")
