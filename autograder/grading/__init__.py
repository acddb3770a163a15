"""Grading outside the sandbox: preparing jobs, publishing answers, scoring what comes back."""
