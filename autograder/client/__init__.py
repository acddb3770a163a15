"""The student's side: `submit.py`, which `dlsys release` copies verbatim into every handout and
`dlsys login`, `submit`, `status` and `results` call (one client, standard library only)."""
