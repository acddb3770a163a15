import numpy as np


def test_training_beats_the_unigram_baseline(trained):
    model, history = trained
    validation = [loss for _, loss in history["validation"]]
    assert validation[-1] < history["unigram_loss"] - 0.1, history
    assert history["train"][-1][1] < history["train"][0][1]
    assert np.isfinite(validation).all()
