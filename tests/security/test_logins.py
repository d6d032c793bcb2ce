"""Login throttling (django-axes) on both login forms: per account, per address, the lockout
page, the cool-off and the operator's reset. Real requests through the real forms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client

from core.http import client_address

pytestmark = pytest.mark.django_db

LIMIT = 3
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def attempt(username, password, ip, path=LOGIN, client=None, **headers):
    """One login through the form from ``ip``; the client's session says whether it worked."""
    client = client or Client()
    data = {"username": username, "password": password}
    if path == ADMIN_LOGIN:
        data["next"] = "/admin/"
    response = client.post(path, data, REMOTE_ADDR=ip, **headers)
    response.logged_in = SESSION_KEY in client.session
    return response


def fail(times, username, ip, path=LOGIN):
    for i in range(times):
        response = attempt(username, f"wrong-{i}", ip, path)
        assert not response.logged_in
    return response


def assert_locked(response):
    assert response.status_code == 429
    assert not response.logged_in
    assert "Too many failed logins" in response.content.decode()


def test_under_the_limit_the_right_password_still_works(creator):
    fail(LIMIT - 1, "alice", "203.0.113.1")
    response = attempt("alice", "alice", "203.0.113.1")
    assert response.status_code == 302 and response.logged_in


def test_one_account_is_locked_whatever_the_address(creator, other_creator):
    # Each wrong password from a different address: only the username links them.
    for i in range(LIMIT - 1):
        assert attempt("alice", "wrong", f"198.51.100.{i}").status_code == 200
    assert_locked(attempt("alice", "wrong", "198.51.100.50"))
    # The right password from yet another address is refused too.
    assert_locked(attempt("alice", "alice", "198.51.100.99"))
    # Another account is not affected, even from the same address (one failure there so far).
    assert attempt("bob", "bob", "198.51.100.99").logged_in


def test_one_address_is_locked_whatever_the_username(creator, other_creator):
    ip = "192.0.2.7"
    for name in ("mallory", "trent", "alice")[:LIMIT]:
        attempt(name, "guess", ip)
    # bob's right password from that address is refused ...
    assert_locked(attempt("bob", "bob", ip))
    # ... and works from elsewhere, since bob's own account had no failure.
    assert attempt("bob", "bob", "192.0.2.8").logged_in


def test_a_forged_forwarded_for_does_not_change_the_address(creator, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    ip = "192.0.2.20"
    for i in range(LIMIT):
        attempt(f"user{i}", "guess", ip, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    assert_locked(attempt("alice", "alice", ip, HTTP_X_FORWARDED_FOR="10.9.9.9"))


def test_behind_a_proxy_the_proxys_view_of_the_client_counts(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_address(request) == "203.0.113.9"  # the client's own entry (6.6.6.6) ignored
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "10.0.0.1"


def test_the_lockout_page_says_what_happened_and_for_how_long(creator):
    response = fail(LIMIT, "alice", "203.0.113.5")
    assert_locked(response)
    page = response.content.decode()
    assert "paused for 15 minutes, even with the right password" in page
    assert "Try again after" in page
    assert 'class="topbar"' in page  # the site's own base template
    assert f'href="{LOGIN}"' in page
    assert "alice" not in page  # the username typed is not echoed


def test_the_lockout_page_speaks_chinese(creator):
    fail(LIMIT - 1, "alice", "203.0.113.6")
    response = attempt("alice", "wrong", "203.0.113.6", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录失败次数过多" in page and "15 分钟" in page


def test_the_admin_login_is_locked_too(creator):
    response = fail(LIMIT, "alice", "203.0.113.10", ADMIN_LOGIN)
    assert_locked(response)
    assert f'href="{ADMIN_LOGIN}"' in response.content.decode()
    assert_locked(attempt("alice", "alice", "203.0.113.11", ADMIN_LOGIN))


def test_failures_on_one_form_lock_the_other(creator):
    fail(LIMIT, "alice", "203.0.113.12", LOGIN)
    assert_locked(attempt("alice", "alice", "203.0.113.13", ADMIN_LOGIN))


def _age_attempts(by: timedelta) -> None:
    for row in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=row.attempt_time - by)


def test_the_lock_ends_after_the_cool_off(creator):
    fail(LIMIT, "alice", "203.0.113.20")
    _age_attempts(timedelta(minutes=14))
    assert_locked(attempt("alice", "alice", "203.0.113.20"))  # 14 min: still locked, and ...
    _age_attempts(timedelta(minutes=14))
    # ... that try started the wait again, so 14 more minutes are not enough either.
    assert_locked(attempt("alice", "alice", "203.0.113.20"))
    _age_attempts(timedelta(minutes=16))
    response = attempt("alice", "alice", "203.0.113.20")
    assert response.status_code == 302 and response.logged_in


def test_the_cool_off_comes_from_the_setting(creator, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)
    response = fail(LIMIT, "alice", "203.0.113.21")
    assert "paused for 2 minutes" in response.content.decode()
    _age_attempts(timedelta(minutes=3))
    assert attempt("alice", "alice", "203.0.113.21").logged_in


@pytest.mark.parametrize(
    "command",
    [
        ("axes_reset_username", "alice"),
        ("axes_reset",),
    ],
)
def test_the_operator_unlocks_an_account_with_a_command(creator, command):
    for i in range(LIMIT):
        attempt("alice", "wrong", f"203.0.113.{30 + i}")
    assert_locked(attempt("alice", "alice", "203.0.113.40"))
    call_command(*command, stdout=open("/dev/null", "w"))
    assert attempt("alice", "alice", "203.0.113.40").logged_in


def test_the_operator_unlocks_an_address_with_a_command(creator):
    fail(LIMIT, "nobody", "203.0.113.50")
    assert_locked(attempt("alice", "alice", "203.0.113.50"))
    call_command("axes_reset_ip", "203.0.113.50", stdout=open("/dev/null", "w"))
    assert attempt("alice", "alice", "203.0.113.50").logged_in


def test_the_operator_unlocks_in_the_admin(creator, django_user_model):
    fail(LIMIT, "alice", "203.0.113.60")
    operator = django_user_model.objects.create_superuser("operator", password="x")
    admin = Client()
    admin.force_login(operator)
    changelist = admin.get("/admin/axes/accessattempt/")
    assert changelist.status_code == 200 and "alice" in changelist.content.decode()
    row = AccessAttempt.objects.get(username="alice")
    response = admin.post(f"/admin/axes/accessattempt/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert attempt("alice", "alice", "203.0.113.60").logged_in


def test_a_creator_cannot_see_the_lockout_records(creator, creator_client):
    fail(LIMIT, "bob", "203.0.113.70")
    assert creator_client.get("/admin/axes/accessattempt/").status_code == 403
