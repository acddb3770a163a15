"""The grading protocol: every name that crosses the sandbox's wall, defined once.

The harness writes these names inside the sandbox; the grader (`autograder.grading`) and the
sandboxes (`autograder.sandbox`) read them outside, importing them from here. Standard
library only: this file runs inside every job.

    job.json (mode, runs)  ->  harness  ->  records on stdout: build, case, start, value, end, done
                                            (an `end` says how the run ended: an Ending)
    the sandbox around it  ->  JobResult.killed: a KillReason, when it stopped the whole job
"""

# The environment variables every sandbox sets: where the job folder and the work folder are
# (`/job` and `/work` inside a sandbox; the real folders in the local sandbox's plain mode).
JOB_DIR_VAR = "DLSYS_JOB_DIR"
WORK_DIR_VAR = "DLSYS_WORK_DIR"
JOB_FILE = "job.json"  # in the job folder: what the harness is asked to do

# The devices a case may be graded on; a homework's manifest picks among them.
GRADING_DEVICES = ("cpu", "cuda")


def run_id(case_id: str, device: str) -> str:
    """The name of one case run on one device, as every record and result carries it: `cases_ops.add[cpu]`."""
    return f"{case_id}[{device}]"


class Mode:
    """What job.json asks the harness for."""

    GRADE = "grade"  # run the listed (case, device) runs
    LIST = "list"  # describe every case of the suite


class RecordKind:
    """The `kind` of each record on the job's stdout (see records.py)."""

    BUILD = "build"  # the native build finished: ok, seconds, log
    CASE = "case"  # list mode: one case's description
    START = "start"  # a run began
    VALUE = "value"  # a run reported a value
    END = "end"  # a run ended: its status is an Ending
    DONE = "done"  # the harness finished every run


class Ending:
    """How one case run ended: the `status` of its `end` record."""

    OK = "ok"
    NOT_IMPLEMENTED = "not_implemented"
    ERROR = "error"
    TIMEOUT = "timeout"  # the case's own time limit
    CRASHED = "crashed"  # its process died from a signal


class KillReason:
    """Why a sandbox stopped a whole job (`JobResult.killed`)."""

    TIME_LIMIT = "time limit"
    MEMORY_LIMIT = "memory limit"
    OUTPUT_LIMIT = "output limit"


# How feedback names a run that did not end OK; a case's own time limit reads as the job's does.
ENDING_WORDS = {
    Ending.NOT_IMPLEMENTED: "not implemented",
    Ending.ERROR: "error",
    Ending.TIMEOUT: KillReason.TIME_LIMIT,
    Ending.CRASHED: "crashed",
}
