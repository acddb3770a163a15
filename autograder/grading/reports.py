"""A graded result as our JSON format and as Gradescope's `results.json`."""
from __future__ import annotations

from dataclasses import asdict

from autograder.course.manifest import Manifest
from autograder.grading.scoring import NOT_GRADED, PASSED, GradeResult


def to_json(result: GradeResult, manifest: Manifest) -> dict:
    """Everything about the grade: totals, parts, every case, the build, timings."""
    return {
        "homework": result.homework,
        "score": round(result.score, 6),
        "max_score": round(result.max_score, 6),
        "parts": [asdict(part) for part in result.parts([p.name for p in manifest.parts])],
        "cases": [asdict(case) | {"run": case.run} for case in result.cases],
        "build": result.build,
        "notices": result.notices,
        "sandbox": result.sandbox,
        "seconds": {"total": round(result.seconds, 3), "cases": round(result.case_seconds, 3),
                    "overhead": round(result.overhead_seconds, 3)},
    }


def to_gradescope(result: GradeResult) -> dict:
    """Gradescope's autograder results format: one test per case run."""
    return gradescope_from_report({"cases": [asdict(case) | {"run": case.run} for case in result.cases],
                                   "notices": result.notices, "build": result.build,
                                   "score": result.score, "seconds": {"total": result.seconds}})


def gradescope_from_report(report: dict) -> dict:
    """Gradescope's format from our JSON document (to_json's, as the grading service stores it)."""
    tests = []
    for case in report["cases"]:
        tests.append({
            "name": f"{case['part']}: {case['run']}",
            "score": case["score"],
            "max_score": 0.0 if case["status"] == NOT_GRADED else case["points"],
            "status": "passed" if case["status"] == PASSED else "failed",
            "output": case["status"] if not case["feedback"] else f"{case['status']}: {case['feedback']}",
            "visibility": "visible",
        })
    output = "\n".join(report.get("notices") or [])
    build = report.get("build")
    if build is not None:
        output = (f"native build: {'ok' if build.get('ok') else 'FAILED'}\n" + output).strip()
    return {"score": round(report["score"], 6), "execution_time": round(report["seconds"]["total"], 3),
            "output": output, "output_format": "text", "tests": tests}
