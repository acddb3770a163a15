"""A grading job's limits: room for the build and every case, never beyond the manifest's budget."""
from dataclasses import replace

from autograder.course.manifest import HomeworkLimits, load_manifest
from autograder.grading.job_folder import BUILD_SECONDS
from autograder.grading.limits import START_SECONDS, job_limits


def test_the_wall_clock_covers_start_build_and_every_case():
    manifest = replace(load_manifest("hw1"), limits=HomeworkLimits(time_seconds=10_000, memory_mb=2048))
    limits = job_limits(manifest, [30.0, 60.0, 10.0])
    assert limits.wall_seconds == START_SECONDS + BUILD_SECONDS + 100
    assert limits.memory_mb == 2048


def test_the_manifest_caps_the_wall_clock():
    manifest = replace(load_manifest("hw1"), limits=HomeworkLimits(time_seconds=120, memory_mb=4096))
    assert job_limits(manifest, [600.0] * 10).wall_seconds == 120
    assert job_limits(manifest, []).wall_seconds == 120  # listing a suite: start and build room only, capped
