import numpy as np
import pytest
from chargpt.model import GPTConfig
from chargpt.train import TrainSettings, learning_rate, train


def test_training_beats_the_unigram_baseline(trained):
    model, history = trained
    validation = [loss for _, loss in history["validation"]]
    assert validation[-1] < history["unigram_loss"] - 0.1, history
    assert history["train"][-1][1] < history["train"][0][1]
    assert np.isfinite(validation).all()


def test_learning_rate_warms_up_then_decays_to_its_floor():
    settings = TrainSettings(lr=1e-2, lr_min=1e-4, warmup=10)
    assert learning_rate(settings, 1, 0.0) == pytest.approx(1e-3)
    assert learning_rate(settings, 10, 0.0) == pytest.approx(1e-2)
    rates = [learning_rate(settings, 11 + i, i / 20) for i in range(21)]
    assert rates == sorted(rates, reverse=True)
    assert rates[-1] == pytest.approx(1e-4) and learning_rate(settings, 500, 3.0) == pytest.approx(1e-4)


def test_windows_longer_than_the_context_are_refused(corpus):
    config = GPTConfig(embedding=16, hidden=16, layers=1, heads=2, head_dim=8, context=16)
    with pytest.raises(ValueError, match="exceed the model's context of 16"):
        train(corpus, config, TrainSettings(steps=1, length=17), log=lambda line: None)
