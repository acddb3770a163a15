"""How long and how large a grading job may be, and each case in it, from the manifest, the
cases' own limits and the reference's measured times."""
from __future__ import annotations

from autograder.course.manifest import Manifest
from autograder.grading.job_folder import BUILD_SECONDS
from autograder.sandbox import JobLimits

START_SECONDS = 30  # interpreter start, copying the project, loading the suite
# A case's limit from the reference's time on the grading machine (publish measures it): room
# for a correct solution several times slower than the reference on a busier machine, and for
# the start of a case (importing the student's package) however short the case is.
REFERENCE_FACTOR = 10.0
FLOOR_SECONDS = 5.0
# The cores a job always had: the build (cmake -j) keeps them even when cases run one at a time.
MIN_JOB_CPUS = 2


def job_limits(manifest: Manifest, case_timeouts: list[float], cpus: int = 1) -> JobLimits:
    """Room for the build and every case's own limit, never beyond the manifest's time limit;
    `cpus` cores (the cases run that many at a time), never fewer than MIN_JOB_CPUS."""
    wall = START_SECONDS + BUILD_SECONDS + sum(case_timeouts)
    return JobLimits(wall_seconds=min(wall, manifest.limits.time_seconds), memory_mb=manifest.limits.memory_mb,
                     cpus=float(max(cpus, MIN_JOB_CPUS)))


def case_time_limit(reference_seconds: float, declared: float, manifest: Manifest) -> float:
    """A case's time limit when graded: REFERENCE_FACTOR times the reference's, at least
    FLOOR_SECONDS, never above the case's declared limit nor the manifest's time limit."""
    derived = max(FLOOR_SECONDS, REFERENCE_FACTOR * reference_seconds)
    return round(min(derived, declared, manifest.limits.time_seconds), 1)
