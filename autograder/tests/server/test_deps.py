"""The rate limiter on its own (a pure object with a clock to set): a sliding minute per key,
Retry-After counting to the moment a request is allowed again, and quiet keys forgotten."""
import pytest

from autograder.server.api.deps import RateLimiter
from autograder.server.services.errors import TooMany


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_sliding_minute_per_key():
    clock = Clock()
    limiter = RateLimiter(3, clock)
    for _ in range(3):
        limiter.check("user:1")
        clock.now += 10
    with pytest.raises(TooMany) as refused:
        limiter.check("user:1")
    assert refused.value.headers["Retry-After"] == "31"  # the first request leaves the window in 30 s
    limiter.check("user:2")  # another key is not affected
    clock.now += 31
    limiter.check("user:1")  # one slot free again
    with pytest.raises(TooMany):
        limiter.check("user:1")


def test_quiet_keys_are_forgotten():
    clock = Clock()
    limiter = RateLimiter(5, clock)
    for address in range(1000):
        limiter.check(f"address:10.0.{address // 256}.{address % 256}")
    assert len(limiter.seen) == 1000
    clock.now += 61
    limiter.check("user:1")
    assert list(limiter.seen) == ["user:1"]
