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
