"""myproject: rename me. A final project's package, built on hw4's needle (see _needle.py)."""
