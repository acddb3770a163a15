"""The one base exception of the `dlsys` command.

Anything raised as a `DlsysError` is a problem the user can fix (missing data, no
network, a bad argument): the CLI prints its message and exits with status 1,
without a traceback. Anything else is a bug and keeps its traceback.
"""


class DlsysError(Exception):
    """A user-facing failure whose message says what went wrong and how to fix it."""
