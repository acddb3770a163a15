"""Shared setup for hw3's public tests: needle imported from python/, as the course's notebooks do.

The devices every test runs on, and the checks of an NDArray against numpy, live in
ndarray_checks.py, a plain module that the test files import by name.
"""
import sys
from pathlib import Path

HOMEWORK = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HOMEWORK / "python"))
