"""The token bucket behind POST /feedback's 429, on a fake clock."""

from __future__ import annotations

from app.api.ratelimit import TokenBucketLimiter, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_the_rate_and_the_wait_until_the_next_token() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(rate_per_s=0.5, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == 2.0 and retry_after(2.0) == "2"
    assert limiter.take("b") == 0.0  # another client has its own bucket
    clock.now += 1.0
    assert limiter.take("a") == 1.0
    clock.now += 1.0
    assert limiter.take("a") == 0.0
    clock.now += 3600
    assert [limiter.take("a") for _ in range(4)][-1] > 0  # refilled to the burst, not beyond


def test_the_number_of_buckets_is_bounded() -> None:
    limiter = TokenBucketLimiter(rate_per_s=1, burst=1, max_clients=100, clock=Clock())
    for i in range(1000):
        limiter.take(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter) == 100
