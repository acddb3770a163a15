"""Following a submission: the Server-Sent Events stream (queued with its position, building,
running case k of n, done) and the feedback once graded (the per-part table and only the
cases without full marks, each with its reason)."""
import json

from conftest import student_files, tar_bytes, wait_until_final

PARTIAL = tar_bytes(student_files("hw1", handout=("apps/simple_ml.py",)))


def events(api, submission: int) -> list[dict]:
    """Every status event of the stream, until it ends by itself."""
    seen, kind = [], None
    with api.client.stream("GET", f"/api/v1/submissions/{submission}/events", headers=api.student()) as stream:
        assert stream.status_code == 200
        for line in stream.iter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                assert kind == "status"
                seen.append(json.loads(line.removeprefix("data: ")))
    return seen


def test_the_stream_follows_a_submission_until_it_is_graded(api):
    answer = api.submit(PARTIAL)
    assert answer.status_code == 201
    submission = answer.json()["submission"]
    seen = events(api, submission)
    states = [event["state"] for event in seen]
    assert states[-1] == "done" and states.count("done") == 1, states
    assert set(states) <= {"queued", "building", "running", "done"}
    assert "running" in states or "building" in states, states  # a hw1 grading lasts over a second
    running = [e for e in seen if e["state"] == "running"]
    for earlier, later in zip(running, running[1:]):
        assert earlier["cases_done"] <= later["cases_done"] <= later["cases_total"]
    final = seen[-1]
    assert 0 < final["score"] < final["max_score"] == 100
    assert all(e["submission"] == submission and e["homework"] == "hw1" for e in seen)


def test_feedback_is_the_part_table_and_the_cases_without_full_marks(api):
    submission = api.submit(PARTIAL).json()["submission"]
    view = wait_until_final(api, submission)
    result = view["result"]
    assert result["submission"] == submission and result["homework"] == "hw1"
    assert result["score"] == view["score"]
    parts = {part["name"]: part for part in result["parts"]}
    assert set(parts) >= {"parse_mnist", "forward", "backward", "topo_sort"}
    assert sum(part["score"] for part in result["parts"]) == result["score"]
    assert result["cases"], "the partial submission misses cases"
    for case in result["cases"]:
        assert case["score"] < case["points"]
        assert case["status"] == "not implemented" and case["feedback"]
        assert "expected" not in json.dumps(case).lower()  # reasons, never the answers
    # the other parts lost nothing
    assert parts["forward"]["score"] == parts["forward"]["max_score"]
    listed = api.client.get("/api/v1/submissions", headers=api.student()).json()
    assert [(s["submission"], s["state"], s["score"]) for s in listed] == [(submission, "done", result["score"])]
