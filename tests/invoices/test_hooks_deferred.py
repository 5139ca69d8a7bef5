"""``hooks_deferred``: the ledger's hooks once for a block of writes (an import), for every
customer the block's writes named, and only when the block ends without an error."""

from __future__ import annotations

import threading

import pytest

from invoices import hooks


@pytest.fixture
def calls(monkeypatch):
    seen: list[tuple[str, set[int]]] = []
    monkeypatch.setattr(hooks, "cash_applied_hooks", [lambda ids: seen.append(("cash", ids))])
    monkeypatch.setattr(hooks, "ledger_changed_hooks", [lambda ids: seen.append(("ledger", ids))])
    return seen


def test_outside_a_block_each_write_runs_the_hooks_at_once(calls):
    hooks.run_cash_applied([1])
    hooks.run_ledger_changed([2, 2])
    hooks.run_cash_applied([])

    assert calls == [("cash", {1}), ("ledger", {2})]


def test_a_block_runs_each_hook_list_once_for_every_customer_named_in_it(calls):
    with hooks.hooks_deferred():
        hooks.run_cash_applied([1, 2])
        hooks.run_ledger_changed([3])
        hooks.run_cash_applied({2, 4})
        with hooks.hooks_deferred():  # an inner block leaves the running to the outer one
            hooks.run_cash_applied([5])
        assert calls == []

    assert calls == [("cash", {1, 2, 4, 5}), ("ledger", {3})]


def test_a_block_ending_in_an_error_runs_no_hook(calls):
    with pytest.raises(ValueError), hooks.hooks_deferred():
        hooks.run_cash_applied([1])
        raise ValueError("refused")

    hooks.run_cash_applied([2])
    assert calls == [("cash", {2})]


def test_another_threads_writes_are_not_deferred_by_this_block(calls):
    with hooks.hooks_deferred():
        other = threading.Thread(target=lambda: hooks.run_cash_applied([7]))
        other.start()
        other.join()
        hooks.run_cash_applied([1])
        assert calls == [("cash", {7})]

    assert calls == [("cash", {7}), ("cash", {1})]
