"""Issue 11: an export's progress moves with the rows written — recorded in steps as the
file grows, not 0 and then 99 % at the end."""

import datetime
import re

import pytest
from django.db import connection

from accounts import roles
from reporting.exports import export_run
from reporting.models import ExportJob
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

ROWS = 240


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def many_items(db):
    customers = [CustomerFactory(name=f"Customer {n:02d}") for n in range(12)]
    for n in range(ROWS):
        invoice(
            customers[n % 12],
            "10.00",
            number=f"P-{n:04d}",
            issue_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=n % 150),
        )


class ProgressWrites:
    """The (progress, rows_written) pairs every UPDATE of the job row writes, as PostgreSQL
    receives them."""

    def __init__(self):
        self.seen: list[tuple[int, int]] = []

    def __call__(self, execute, sql, params, many, context):
        if sql.startswith('UPDATE "reporting_exportjob" SET '):
            assigned = sql.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
            values = dict(zip(re.findall(r'"(\w+)" = %s', assigned), params, strict=False))
            if "progress" in values:
                self.seen.append((values["progress"], values.get("rows_written")))
        return execute(sql, params, many, context)


def _record(job) -> list[tuple[int, int]]:
    writes = ProgressWrites()
    with connection.execute_wrapper(writes):
        finished = export_run(job.pk)
    assert finished.status == "done", finished.error
    return writes.seen


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_progress_rises_through_intermediate_values_as_rows_are_written(many_items, fmt):
    job = ExportJob.objects.create(
        user=user_in_role(roles.FINANCE, "fin"),
        kind="detail",
        format=fmt,
        parameters={"as_of": "2026-06-30"},
    )

    seen = _record(job)

    percents = [p for p, _ in seen]
    rows = [r for _, r in seen if r is not None]
    assert percents == sorted(set(percents)), "strictly rising, each value recorded once"
    assert percents[0] == 0 and percents[-1] == 100
    assert len([p for p in percents if 0 < p < 100]) >= 20
    assert rows == sorted(rows) and rows[-1] == ROWS
    # while rows are being written, the percentage is their share of the rows expected
    while_writing = [(p, r) for p, r in seen if 0 < r < ROWS]
    assert len(while_writing) >= 20
    assert all(p <= r * 100 // ROWS for p, r in while_writing)


def test_a_summary_moves_with_its_groups(many_items):
    job = ExportJob.objects.create(
        user=user_in_role(roles.FINANCE, "fin"),
        kind="summary",
        format="csv",
        parameters={"as_of": "2026-06-30"},
    )

    percents = [p for p, _ in _record(job)]

    # 12 customers: a step per group written
    assert percents == [0, *[n * 99 // 12 for n in range(1, 13)], 100]
