"""dlsys: the course infrastructure behind the `dlsys` command.

Handout release, grading suites, sandboxes, the grading server and the student
client live here; the needle snapshots live in hw0..hw4 beside this package.
"""

__version__ = "0.1.0"
