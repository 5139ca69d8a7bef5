"""The top bar fits one line on a 1366 px laptop for every role, the widest navigation
(a credit manager with staff rights, who sees every section) included."""

import pytest

from accounts import roles
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def _log_in(page, username):
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize("role", [roles.COLLECTOR, roles.CREDIT_MANAGER, roles.CFO, roles.FINANCE])
def test_the_top_bar_stays_on_one_line_at_1366_px(page, screenshot, role):
    user = user_in_role(role, "pat")
    user.first_name, user.last_name, user.is_staff = "Patricia", "Montgomery-Hughes", True
    user.save()
    _log_in(page, "pat")
    screenshot(f"topbar-{role.lower().replace(' ', '-')}")

    links = page.locator(".topbar nav a")
    assert links.count() >= 5
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count()))}
    bar = page.locator(".topbar").bounding_box()
    assert (len(tops), bar["height"] < 60) == (1, True), (tops, bar)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
