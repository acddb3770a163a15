"""The student's side: `submit.py`, which `dlsys release` copies verbatim into every handout."""
