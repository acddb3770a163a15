"""The grading service's speed, against a live `dlsys serve` on SQLite on loopback.

1. Request latency under a small concurrent load: `--clients` threads, each with its own
   keep-alive connection and its own student token, make `--requests` uploads of hw1's
   reference archive (submit), then as many reads of one of their submissions
   (GET /submissions/{id}: status). The server grades nothing meanwhile (DLSYS_WORKERS=0), so
   the figures are the API's own: upload parsing, the archive checks, the fsynced store and the
   commit for submit; a token lookup and two queries for status.
2. Grading time per homework: the reference submitted to a server with one worker, from the
   upload's 201 to the final state (polled every 50 ms), beside `dlsys grade` on the same
   archive in a process of its own (the command a TA runs, Python's start included). The
   difference is the service's overhead: queueing, unpacking the stored archive, writing
   progress and the result, less the start of a Python process the service does not pay;
   "grading" is the worker's own time for the run (the core's `grade`), so service minus
   grading is what the queue, the upload and the polling add.

Both use the local sandbox (bubblewrap). The reference answers are published first, into a
temporary folder. Figures are medians of `--repeat` gradings.

    python benchmarks/service.py [--clients 10] [--requests 20] [--repeat 3]
"""
import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

import httpx

from autograder.course.manifest import load_manifest
from autograder.grading.publish import publish
from autograder.paths import REPO_ROOT
from autograder.sandbox import LocalSandbox

sys.path.insert(0, str(REPO_ROOT / "autograder" / "tests"))
from live_service import start_live_server  # noqa: E402  (the tests' way of starting dlsys serve)


def reference_archive(homework: str) -> bytes:
    manifest = load_manifest(homework)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name in manifest.student_files:
            tar.add(manifest.root / name, arcname=name)
    return out.getvalue()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(answers: Path, clients: int, requests: int) -> dict[str, list[float]]:
    home = Path(tempfile.mkdtemp(prefix="dlsys-bench-latency-"))
    server = start_live_server(home, f"sqlite:///{home / 'dlsys.db'}", answers, DLSYS_WORKERS="0",
                               DLSYS_RATE_LIMIT_PER_MINUTE="1000000")
    try:
        staff = {"Authorization": f"Bearer {server.staff_token}"}
        api = f"{server.url}/api/v1"
        httpx.patch(f"{api}/assignments/hw1", headers=staff, json={"daily_limit": None}).raise_for_status()
        roster = "login\n" + "".join(f"bench{i}\n" for i in range(clients))
        created = httpx.post(f"{api}/roster", headers=staff, content=roster.encode()).json()["created"]
        archive = reference_archive("hw1")
        times: dict[str, list[float]] = {"submit": [], "status": []}
        lock, start = threading.Lock(), threading.Barrier(clients)

        def client(token: str) -> None:
            mine: dict[str, list[float]] = {"submit": [], "status": []}
            with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
                start.wait()
                ids = []
                for _ in range(requests):
                    began = time.perf_counter()
                    answer = http.post("/submissions", data={"homework": "hw1"},
                                       files={"archive": ("submission.tar.gz", archive, "application/gzip")})
                    mine["submit"].append(time.perf_counter() - began)
                    answer.raise_for_status()
                    ids.append(answer.json()["submission"])
                for number in range(requests):
                    began = time.perf_counter()
                    http.get(f"/submissions/{ids[number]}").raise_for_status()
                    mine["status"].append(time.perf_counter() - began)
            with lock:
                for kind, values in mine.items():
                    times[kind] += values

        threads = [threading.Thread(target=client, args=(row["token"],)) for row in created]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return times
    finally:
        server.stop()


def through_service(answers: Path, homeworks: list[str], repeat: int) -> tuple[dict, dict]:
    """Seconds from upload to result, and the seconds the worker's grading itself took (the run's)."""
    home = Path(tempfile.mkdtemp(prefix="dlsys-bench-grading-"))
    server = start_live_server(home, f"sqlite:///{home / 'dlsys.db'}", answers, DLSYS_WORKERS="1",
                               DLSYS_RATE_LIMIT_PER_MINUTE="1000000")
    seconds: dict[str, list[float]] = {homework: [] for homework in homeworks}
    grading: dict[str, list[float]] = {homework: [] for homework in homeworks}
    staff = {"Authorization": f"Bearer {server.staff_token}"}
    try:
        with httpx.Client(base_url=f"{server.url}/api/v1", timeout=60,
                          headers={"Authorization": f"Bearer {server.student_token}"}) as http:
            for homework in homeworks:
                archive = reference_archive(homework)
                for _ in range(repeat):
                    began = time.perf_counter()
                    answer = http.post("/submissions", data={"homework": homework},
                                       files={"archive": ("submission.tar.gz", archive, "application/gzip")})
                    answer.raise_for_status()
                    while (view := http.get(f"/submissions/{answer.json()['submission']}").json())["state"] \
                            not in ("done", "grader error"):
                        time.sleep(0.05)
                    seconds[homework].append(time.perf_counter() - began)
                    assert view["state"] == "done" and view["score"] == view["max_score"], view
                    runs = http.get(f"/submissions/{view['submission']}/runs", headers=staff).json()["runs"]
                    grading[homework].append(runs[-1]["seconds"])
        return seconds, grading
    finally:
        server.stop()


def directly(answers: Path, homeworks: list[str], repeat: int) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {homework: [] for homework in homeworks}
    with tempfile.TemporaryDirectory(prefix="dlsys-bench-grade-") as folder:
        for homework in homeworks:
            archive = Path(folder) / f"{homework}.tar.gz"
            archive.write_bytes(reference_archive(homework))
            for _ in range(repeat):
                began = time.perf_counter()
                subprocess.run([sys.executable, "-m", "autograder", "grade", homework, str(archive), "--sandbox",
                                "local", "--answers-dir", str(answers)], cwd=REPO_ROOT, check=True,
                               capture_output=True, env=os.environ | {"COLUMNS": "120"})
                seconds[homework].append(time.perf_counter() - began)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=20, help="per client, of each kind")
    parser.add_argument("--repeat", type=int, default=3, help="gradings per homework, each way")
    parser.add_argument("--homeworks", nargs="+", default=["hw0", "hw1"])
    args = parser.parse_args()

    answers = Path(tempfile.mkdtemp(prefix="dlsys-bench-answers-"))
    sandbox = LocalSandbox()
    for homework in args.homeworks:
        publish(load_manifest(homework), sandbox, answers_folder=answers)

    times = latency(answers, args.clients, args.requests)
    print(f"request latency, SQLite on loopback, {args.clients} clients x {args.requests} requests each "
          f"(ms; the server grades nothing meanwhile)")
    print(f"{'request':<34}{'p50':>8}{'p99':>8}{'max':>8}{'req/s':>8}")
    for kind, label in (("submit", "submit (hw1 reference, POST)"), ("status", "status (GET /submissions/{id})")):
        values = times[kind]
        rate = len(values) / sum(values) * args.clients
        print(f"{label:<34}{percentile(values, 0.5) * 1e3:8.1f}{percentile(values, 0.99) * 1e3:8.1f}"
              f"{max(values) * 1e3:8.1f}{rate:8.0f}")

    served, graded = through_service(answers, args.homeworks, args.repeat)
    direct = directly(answers, args.homeworks, args.repeat)
    print()
    print(f"grading the reference, local sandbox (s, median of {args.repeat}): upload to result through the "
          f"service, of which the worker's grading; `dlsys grade` in a process of its own")
    print(f"{'homework':<10}{'service':>9}{'grading':>9}{'dlsys grade':>13}{'overhead':>10}")
    for homework in args.homeworks:
        through, alone = statistics.median(served[homework]), statistics.median(direct[homework])
        print(f"{homework:<10}{through:9.2f}{statistics.median(graded[homework]):9.2f}{alone:13.2f}"
              f"{through - alone:+10.2f}")


if __name__ == "__main__":
    main()
