"""Shared setup for hw4's public tests: needle from python/ and the apps (models, simple_ml)
from apps/, as the course's notebooks import them.

The devices tests run on live in devices.py, a plain module the test files import by name.
"""
import sys
from pathlib import Path

HOMEWORK = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HOMEWORK / "python"))
sys.path.insert(0, str(HOMEWORK / "apps"))
