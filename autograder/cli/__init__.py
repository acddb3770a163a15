"""The `dlsys` command, one module per audience; `dlsys --help` lists the verbs in these groups.

- develop.py: working in this repository (demo, test, doctor, data).
- course.py: authoring the course (snapshots, release).
- grading.py: grading (grader-image, publish, grade).
- service.py: running the grading service (serve, db upgrade).
- student.py: submitting to it (login, submit, status, results), through the handout's client.

Each command parses its options and calls a plain function of the package; console.py turns a
`DlsysError` into a one-line message and exit status 1, while anything else is a bug and keeps
its traceback.
"""
import typer

from autograder.cli import course, develop, grading, service, student

app = typer.Typer(
    help="Deep Learning Systems course infrastructure: needle homeworks, tests, data and grading.",
    no_args_is_help=True,
    add_completion=False,
)
for group in (develop, course, grading, service, student):
    app.add_typer(group.app)  # no name: the group's verbs sit at the top, under its help panel
