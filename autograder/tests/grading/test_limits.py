"""A grading job's limits: room for the build and every case, never beyond the manifest's budget."""
from dataclasses import replace

from autograder.course.manifest import HomeworkLimits, load_manifest
from autograder.grading.job_folder import BUILD_SECONDS
from autograder.grading.limits import (
    FLOOR_SECONDS,
    MIN_JOB_CPUS,
    REFERENCE_FACTOR,
    START_SECONDS,
    case_time_limit,
    job_limits,
)


def test_the_wall_clock_covers_start_build_and_every_case():
    manifest = replace(load_manifest("hw1"), limits=HomeworkLimits(time_seconds=10_000, memory_mb=2048))
    limits = job_limits(manifest, [30.0, 60.0, 10.0])
    assert limits.wall_seconds == START_SECONDS + BUILD_SECONDS + 100
    assert limits.memory_mb == 2048


def test_the_manifest_caps_the_wall_clock():
    manifest = replace(load_manifest("hw1"), limits=HomeworkLimits(time_seconds=120, memory_mb=4096))
    assert job_limits(manifest, [600.0] * 10).wall_seconds == 120
    assert job_limits(manifest, []).wall_seconds == 120  # listing a suite: start and build room only, capped


def test_a_job_gets_the_cores_it_is_given_and_never_fewer_than_the_build_had():
    manifest = load_manifest("hw1")
    assert job_limits(manifest, [], cpus=4).cpus == 4
    assert job_limits(manifest, [], cpus=1).cpus == job_limits(manifest, []).cpus == MIN_JOB_CPUS


def test_a_cases_limit_is_ten_times_the_reference_with_a_floor_and_two_caps():
    manifest = replace(load_manifest("hw1"), limits=HomeworkLimits(time_seconds=100, memory_mb=2048))
    assert case_time_limit(0.05, 30.0, manifest) == FLOOR_SECONDS  # a quick case still gets the floor
    assert case_time_limit(1.23, 30.0, manifest) == round(REFERENCE_FACTOR * 1.23, 1)
    assert case_time_limit(5.0, 30.0, manifest) == 30.0  # never above the case's own limit
    assert case_time_limit(50.0, 600.0, manifest) == 100.0  # nor above the manifest's
