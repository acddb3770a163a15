"""Published reference answers: stored outside every sandbox, keyed by the suite's hash.

`dlsys publish hwN` writes `<answers dir>/hwN.json`; grading reads it and refuses it when
the suite (or the harness) has changed since, because its answers may no longer match
the cases. The answers dir is `$DLSYS_ANSWERS_DIR`, else `.dlsys/answers/` in the
repository (git-ignored: answers are produced, not written by hand).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from autograder.errors import DlsysError
from autograder.paths import REPO_ROOT


def answers_dir() -> Path:
    return Path(os.environ["DLSYS_ANSWERS_DIR"]) if os.environ.get("DLSYS_ANSWERS_DIR") else REPO_ROOT / ".dlsys" / "answers"


@dataclass(frozen=True)
class CaseAnswer:
    """A case as published: how it is graded, and the reference's values (encoded).

    `timeout` is the limit a CPU run gets, derived from `reference_seconds`, the reference's
    time for the case in the publishing sandbox (`grading/limits.py:case_time_limit`);
    `declared_timeout` is the case's own limit, which runs on devices publish did not time
    get. (Answers published before these were recorded have neither and are stale: the
    harness that measures them changed the suite's hash.)
    """

    id: str
    part: str
    points: float
    rtol: float
    atol: float
    devices: tuple[str, ...]
    timeout: float
    values: dict[str, dict]
    declared_timeout: float | None = None
    reference_seconds: float | None = None

    def time_limit(self, device: str) -> float:
        """The limit of this case's run on `device`: derived where the reference was timed (the CPU)."""
        return self.timeout if device == "cpu" or self.declared_timeout is None else self.declared_timeout


@dataclass(frozen=True)
class Answers:
    homework: str
    suite_hash: str
    published_at: str
    reference_seconds: float
    cases: tuple[CaseAnswer, ...]


def answers_path(homework: str, folder: Path | None = None) -> Path:
    return (folder or answers_dir()) / f"{homework}.json"


def save_answers(answers: Answers, folder: Path | None = None) -> Path:
    """Write atomically, so a grader never reads half a file."""
    path = answers_path(answers.homework, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(asdict(answers), indent=1))
    temporary.replace(path)
    return path


def load_answers(homework: str, suite_hash: str, folder: Path | None = None) -> Answers:
    """The published answers for `homework`, refused when missing or published for another suite."""
    path = answers_path(homework, folder)
    if not path.is_file():
        raise DlsysError(f"No published answers for {homework} in {path.parent}: run `dlsys publish {homework}` first.")
    try:
        raw = json.loads(path.read_text())
        cases = tuple(CaseAnswer(**{**case, "devices": tuple(case["devices"])}) for case in raw.pop("cases"))
        answers = Answers(**raw, cases=cases)
    except (ValueError, TypeError, KeyError) as error:
        raise DlsysError(f"{path} is not a valid answers file ({error}): run `dlsys publish {homework}` again.") from None
    if answers.suite_hash != suite_hash:
        raise DlsysError(f"The answers in {path} were published for suite {answers.suite_hash}, but {homework}'s suite "
                         f"is now {suite_hash}: they are stale. Run `dlsys publish {homework}` again.")
    return answers
