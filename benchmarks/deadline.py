"""The last hour before a deadline: a burst of uploads from many clients while the workers grade.

`--submissions` uploads (hw0 and hw1, reference and handout-stub archives in turn) from
`--clients` concurrent clients (each a student of its own, each upload with an Idempotency-Key,
retried on a connection error), against each configuration:

    postgresql   `dlsys serve` (DLSYS_WORKERS=0) on a PostgreSQL cluster of its own, and
                 `--workers` `dlsys worker` processes taking requests through the queue engine
    sqlite       the embedded default: `dlsys serve` on SQLite with `--workers` in-process workers

It prints, per configuration: accepted, graded, duplicates (a key with two submissions, or a
submission graded twice: must be 0), lost (an accepted upload without a submission or left
ungraded once the queue drained: must be 0; an upload refused with an error status is neither
accepted nor lost, and the refusals are printed below the table), submit latency p50/p99 (ms), grading throughput
(submissions per minute, first upload to last result) and the time to drain the queue. All of
it on loopback, in the local sandbox (bubblewrap); the reference answers are published first.
Bounded: `--time-limit` seconds of grading per configuration at most (what is left is "lost").

    python benchmarks/deadline.py [--submissions 200] [--clients 50] [--workers 2] [--time-limit 1800]
"""
import argparse
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from autograder.course.manifest import load_manifest
from autograder.grading.publish import publish
from autograder.paths import REPO_ROOT
from autograder.sandbox import LocalSandbox

sys.path.insert(0, str(REPO_ROOT / "autograder" / "tests"))
from live_service import (  # noqa: E402  (the tests' way of starting the service and a cluster)
    new_postgres_database,
    postgres_cluster,
    start_live_server,
    start_worker,
    student_files,
    tar_bytes,
)

HOMEWORKS = ("hw0", "hw1")


def archives() -> list[tuple[str, bytes]]:
    """(homework, archive) in turn: each homework's reference, then its fresh handout (a stub)."""
    made = []
    for homework in HOMEWORKS:
        files = load_manifest(homework).student_files
        made.append((homework, tar_bytes(student_files(homework))))
        made.append((homework, tar_bytes(student_files(homework, handout=tuple(files)))))
    return made


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def burst(server, submissions: int, clients: int, time_limit: float, database_url: str) -> dict:
    api = f"{server.url}/api/v1"
    staff = {"Authorization": f"Bearer {server.staff_token}"}
    for homework in HOMEWORKS:
        httpx.patch(f"{api}/assignments/{homework}", headers=staff, json={"daily_limit": None},
                    timeout=30).raise_for_status()
    roster = "login\n" + "".join(f"student{i}\n" for i in range(clients))
    tokens = [row["token"] for row in httpx.post(f"{api}/roster", headers=staff, content=roster.encode(),
                                                 timeout=60).json()["created"]]
    kinds = archives()
    plan = [(tokens[n % clients], *kinds[n % len(kinds)], uuid.uuid4().hex) for n in range(submissions)]
    latencies, accepted, refused, lock = [], {}, [], threading.Lock()
    start = threading.Barrier(clients)

    def client(number: int) -> None:
        mine = plan[number::clients]
        start.wait()
        with httpx.Client(base_url=api, timeout=60) as http:
            for token, homework, archive, key in mine:
                for _ in range(20):  # a connection error: retry with the same key
                    began = time.perf_counter()
                    try:
                        answer = http.post("/submissions", data={"homework": homework},
                                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                                           files={"archive": ("submission.tar.gz", archive, "application/gzip")})
                    except httpx.HTTPError:
                        time.sleep(0.5)
                        continue
                    with lock:
                        latencies.append(time.perf_counter() - began)
                        if answer.status_code in (200, 201):
                            accepted[key] = answer.json()["submission"]
                        else:
                            refused.append(f"{answer.status_code} {answer.text[:120]}")
                    break

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    burst_seconds = time.monotonic() - began
    deadline = began + time_limit
    with httpx.Client(base_url=api, headers=staff, timeout=30) as http:
        while time.monotonic() < deadline:
            queue = http.get("/queue").json()
            if queue["queued"] == 0 and queue["running"] == 0:
                break
            time.sleep(1)
    drained = time.monotonic() - began

    engine = create_engine(database_url)
    with engine.connect() as db:
        per_key = dict(db.execute(text("SELECT idempotency_key, count(*) FROM submissions "
                                       "GROUP BY idempotency_key")).all())
        graded = dict(db.execute(text("SELECT submission_id, count(*) FROM grading_runs WHERE status = 'done' "
                                      "GROUP BY submission_id")).all())
    engine.dispose()
    duplicates = sum(n - 1 for n in per_key.values() if n > 1) + sum(n - 1 for n in graded.values() if n > 1)
    lost = sum(1 for key in accepted if key not in per_key) + sum(1 for s in set(accepted.values()) if s not in graded)
    return {"accepted": len(accepted), "graded": len(graded), "duplicates": duplicates, "lost": lost,
            "p50": percentile(latencies, 0.5) * 1e3, "p99": percentile(latencies, 0.99) * 1e3,
            "throughput": len(graded) / (drained / 60), "burst": burst_seconds, "drain": drained,
            "refused": refused}


def run_postgresql(answers: Path, args) -> dict:
    home = Path(tempfile.mkdtemp(prefix="dlsys-deadline-pg-"))
    with postgres_cluster() as cluster:
        url = new_postgres_database(cluster.url)
        server = start_live_server(home / "server", url, answers, DLSYS_WORKERS="0",
                                   DLSYS_RATE_LIMIT_PER_MINUTE="1000000")
        workers = [start_worker(home / f"worker-{n}", url, answers, queues="cpu") for n in range(args.workers)]
        try:
            return burst(server, args.submissions, args.clients, args.time_limit, url)
        finally:
            server.stop()
            for worker in workers:
                worker.process.terminate()
                worker.process.wait(60)
            shutil.rmtree(home, ignore_errors=True)


def run_sqlite(answers: Path, args) -> dict:
    home = Path(tempfile.mkdtemp(prefix="dlsys-deadline-sqlite-"))
    url = f"sqlite:///{home / 'dlsys.db'}"
    server = start_live_server(home, url, answers, DLSYS_WORKERS=str(args.workers),
                               DLSYS_RATE_LIMIT_PER_MINUTE="1000000")
    try:
        return burst(server, args.submissions, args.clients, args.time_limit, url)
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="grading workers (processes, or threads on SQLite)")
    parser.add_argument("--time-limit", type=float, default=1800, help="seconds of grading per configuration")
    parser.add_argument("--configurations", nargs="+", default=["postgresql", "sqlite"],
                        choices=["postgresql", "sqlite"])
    args = parser.parse_args()
    if args.clients > args.submissions:
        parser.error("--clients must not exceed --submissions")

    answers = Path(tempfile.mkdtemp(prefix="dlsys-deadline-answers-"))
    for homework in HOMEWORKS:
        publish(load_manifest(homework), LocalSandbox(), answers_folder=answers)
    runners = {"postgresql": run_postgresql, "sqlite": run_sqlite}
    results = {name: runners[name](answers, args) for name in args.configurations}

    print(f"deadline burst: {args.submissions} uploads (hw0/hw1, reference and stub) from {args.clients} clients, "
          f"{args.workers} workers, local sandbox, loopback")
    print(f"{'configuration':<14}{'accepted':>9}{'graded':>8}{'dup':>5}{'lost':>6}{'p50 ms':>8}{'p99 ms':>8}"
          f"{'per min':>9}{'burst s':>9}{'drain s':>9}")
    for name, r in results.items():
        print(f"{name:<14}{r['accepted']:>9}{r['graded']:>8}{r['duplicates']:>5}{r['lost']:>6}{r['p50']:8.1f}"
              f"{r['p99']:8.1f}{r['throughput']:9.1f}{r['burst']:9.1f}{r['drain']:9.1f}")
    for name, r in results.items():
        for answer in sorted(set(r["refused"])):
            print(f"{name}: refused {r['refused'].count(answer)}x: {answer}")
    shutil.rmtree(answers, ignore_errors=True)


if __name__ == "__main__":
    main()
