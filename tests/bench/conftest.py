"""Benchmarks run on the large generated data set, read-only, not on a test database.

``make bench`` points DATABASE_URL at ``dunwell_bench`` and loads it with
``generate_data`` first if it is not there yet.
"""

import statistics
import time
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.fixture(scope="session")
def django_db_setup():
    """Use the database DATABASE_URL names, as it is: no test database, no migrations."""


@pytest.fixture
def bench_db(django_db_blocker):
    with django_db_blocker.unblock():
        from accounts.models import Customer

        if Customer.objects.count() < 1000:
            pytest.fail("the bench database is empty: run manage.py generate_data first")
        yield


def measure(fn: Callable[[], object], *, repeat: int = 30, warmup: int = 3) -> dict:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": samples[max(0, round(0.95 * len(samples)) - 1)],
    }


def count_queries(fn: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def report(name: str, ours: dict, lower_bound: dict, queries: int) -> str:
    ratio = ours["median_ms"] / lower_bound["median_ms"] if lower_bound["median_ms"] else 0
    line = (
        f"{name:<48} median {ours['median_ms']:8.1f} ms  p95 {ours['p95_ms']:8.1f} ms  "
        f"SQL lower bound {lower_bound['median_ms']:7.1f} ms  ratio {ratio:5.1f}x  "
        f"queries {queries}"
    )
    print(line)
    return line
