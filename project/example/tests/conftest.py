"""The example's tests import `chargpt` from project/example and share one tiny trained model."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chargpt.corpus import load_corpus  # noqa: E402  (after the path set-up)
from chargpt.model import GPTConfig  # noqa: E402
from chargpt.train import TrainSettings, train  # noqa: E402

TINY = GPTConfig(embedding=32, hidden=64, layers=2, heads=2, head_dim=16, context=32)


@pytest.fixture(scope="session")
def corpus():
    return load_corpus(max_chars=200_000)


@pytest.fixture(scope="session")
def trained(corpus):
    """(model, history) of a tiny CharGPT trained for a few seconds: enough to leave the unigram
    baseline behind, so that quantization error and perplexity are measured on a model that has learnt."""
    settings = TrainSettings(steps=80, minutes=2, batch=16, lr=1e-2, warmup=10, eval_every=40, eval_windows=32)
    return train(corpus, TINY, settings, log=lambda line: None)
