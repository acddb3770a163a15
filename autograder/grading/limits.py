"""How long and how large a grading job may be, from the manifest and the cases it runs."""
from __future__ import annotations

from autograder.course.manifest import Manifest
from autograder.grading.job_folder import BUILD_SECONDS
from autograder.sandbox import JobLimits

START_SECONDS = 30  # interpreter start, copying the project, loading the suite


def job_limits(manifest: Manifest, case_timeouts: list[float]) -> JobLimits:
    """Room for the build and every case's own limit, never beyond the manifest's time limit."""
    wall = START_SECONDS + BUILD_SECONDS + sum(case_timeouts)
    return JobLimits(wall_seconds=min(wall, manifest.limits.time_seconds), memory_mb=manifest.limits.memory_mb)
