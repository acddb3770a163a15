"""Hidden grading suites, one folder per homework (`hw0/`, `hw1/`, ...).

Never shipped in a handout, never imported by the autograder itself: the suite files are
copied into each grading job and run there by `dlsys_harness` (see autograder/grading/job_folder.py).
"""
