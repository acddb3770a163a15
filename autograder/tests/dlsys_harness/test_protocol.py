"""The protocol's names: one run-id format, and a word for every way a run can end."""
from autograder.dlsys_harness.protocol import ENDING_WORDS, Ending, KillReason, run_id


def test_a_run_id_names_the_case_and_the_device():
    assert run_id("cases_ops.add", "cuda") == "cases_ops.add[cuda]"


def test_every_ending_but_ok_has_the_words_feedback_uses():
    endings = {value for name, value in vars(Ending).items() if name.isupper()}
    assert set(ENDING_WORDS) == endings - {Ending.OK}
    assert ENDING_WORDS[Ending.TIMEOUT] == KillReason.TIME_LIMIT  # a case's own limit reads as the job's
