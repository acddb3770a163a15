"""From an upload to a score, in-process, on SQLite and PostgreSQL."""
from conftest import reference_archive, wait_until_final


def test_the_reference_submitted_is_graded_100(api, tmp_path):
    archive = reference_archive("hw1", tmp_path)
    answer = api.client.post("/api/v1/submissions", headers=api.student(),
                             data={"homework": "hw1"}, files={"archive": archive.open("rb")})
    assert answer.status_code == 201, answer.text
    submission = answer.json()["submission"]
    final = wait_until_final(api, submission)
    assert final["state"] == "done" and final["score"] == final["max_score"] == 100, final
    assert final["result"]["cases"] == []  # nothing without full marks


class CoreCountingSandbox:
    """The real local sandbox, noting the cores each job it runs was given."""

    def __init__(self, inner):
        self.inner, self.name, self.cpus = inner, inner.name, []

    def run(self, job, on_line=None):
        self.cpus.append(job.limits.cpus)
        return self.inner.run(job, on_line)


def test_each_job_grades_with_the_settings_cores(make_api, local_sandbox, tmp_path):
    """`grading_cpus` reaches `grade(cpus=...)` on both paths: SQLite's in-process pool and, on
    PostgreSQL, the queue engine's worker."""
    sandbox = CoreCountingSandbox(local_sandbox)
    api = make_api(grading_sandbox=sandbox, grading_cpus=3)
    submission = api.submit(reference_archive("hw0", tmp_path), "hw0").json()["submission"]
    final = wait_until_final(api, submission)
    assert final["state"] == "done" and final["score"] == final["max_score"], final
    assert sandbox.cpus == [3.0]  # job_limits: the cores given, the cases run 3 at a time
