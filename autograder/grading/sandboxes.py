"""The sandboxes grading runs in, for grading's callers (the workers, the CLI): the one place
outside `grading` that needs to name a sandbox gets it here, so only grading imports `sandbox`."""
from autograder.sandbox import SANDBOX_KINDS, Sandbox, pick_sandbox

__all__ = ["SANDBOX_KINDS", "Sandbox", "pick_sandbox"]
