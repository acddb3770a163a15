"""The grading harness: the only grader code that runs inside the sandbox.

It is copied into every job as the package `dlsys_harness` next to the hidden suite,
and must therefore stand alone (standard library and numpy only, relative imports).
Suites use two names from it:

    from dlsys_harness import case, report

    @case(part="forward", points=2, rtol=1e-5, atol=1e-6)
    def power_scalar_on_a_new_shape():
        import needle as ndl                      # student code: import inside the case
        report("out", (ndl.Tensor(x) ** 3).numpy())

Cases report values; they never assert. The names that cross the sandbox's wall (run ids,
record kinds, how a run ended, why a job was killed) are defined once, in protocol.py.

Cases report values; they never assert. The values travel out of the sandbox, where
`autograder.grading` compares them with the published answers.
"""
from .cases import Case, case, report

__all__ = ["Case", "case", "report"]
