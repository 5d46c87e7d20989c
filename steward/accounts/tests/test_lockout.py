"""Failed sign-ins lock the username (or the network address) for a while, counted in
the database so every web process sees the same count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.db.models import F
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import SignInFailure, SignInLockout, User
from steward.demo.personas import ADMIN_USERNAME
from steward.demo.personas import DEMO_PASSWORD as PASSWORD

LOGIN = "console:login"


def attempt(username: str, password: str = "wrong", *, address: str = "203.0.113.7") -> object:
    return Client(REMOTE_ADDR=address).post(reverse(LOGIN), {"username": username, "password": password})


def fail(username: str, times: int, *, address: str = "203.0.113.7") -> object:
    response = None
    for _ in range(times):
        response = attempt(username, address=address)
    return response


def body(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def test_five_failures_lock_the_account_and_say_when_to_try_again(demo):
    # Given four wrong passwords, the page still says the password is wrong
    fourth = fail("dan.evans", 4)
    assert "The username or password is not right" in body(fourth)
    assert "After 5 failed tries in a row" in body(fourth)
    # When the fifth is wrong too
    fifth = fail("dan.evans", 1)
    # Then the account is locked, and the page says so and when to come back
    assert fifth.status_code == 429  # type: ignore[attr-defined]
    lock = SignInLockout.objects.get()
    until = timezone.localtime(lock.locked_until).strftime("%H:%M")
    assert "temporarily locked" in body(fifth) and f"try again after {until}" in body(fifth)
    assert lock.scope == "username" and lock.username == "dan.evans" and lock.failures == 5
    assert lock.user is not None and lock.user.username == "dan.evans"
    assert lock.locked_until - lock.locked_at == timedelta(minutes=15)
    # And even the right password is refused until then, without counting more failures
    right = attempt("dan.evans", PASSWORD)
    assert right.status_code == 429 and "temporarily locked" in body(right)  # type: ignore[attr-defined]
    assert "_auth_user_id" not in right.wsgi_request.session  # type: ignore[attr-defined]
    assert SignInFailure.objects.count() == 5


def test_an_unknown_username_locks_the_same_way_and_reads_the_same(demo):
    fail("dan.evans", 4)
    fail("nobody.here", 4)
    real, unknown = fail("dan.evans", 1), fail("nobody.here", 1)
    # The same words for both (only the time could differ), so a lock reveals nothing.
    assert "This account is temporarily locked" in body(real)
    assert "This account is temporarily locked" in body(unknown)
    assert real.status_code == unknown.status_code == 429  # type: ignore[attr-defined]
    unknown_lock = SignInLockout.objects.get(username="nobody.here")
    assert unknown_lock.user is None


def test_case_and_spaces_do_not_dodge_the_count(demo):
    for name in ["dan.evans", "Dan.Evans", " DAN.EVANS", "dan.EVANS", "dan.evans "]:
        attempt(name)
    assert SignInLockout.objects.filter(username="dan.evans").exists()


@override_settings(STEWARD_SIGN_IN_LOCKOUT_MINUTES=5)
def test_the_lock_runs_out_and_then_the_right_password_works(demo):
    fail("dan.evans", 5)
    # When the lockout time has passed (the failures are still inside the 15-minute window)
    later = timedelta(minutes=5, seconds=1)
    SignInLockout.objects.update(locked_at=F("locked_at") - later, locked_until=F("locked_until") - later)
    SignInFailure.objects.update(at=F("at") - later)
    # Then one more wrong try does not lock it again straight away (old failures are paid for)
    assert "The username or password is not right" in body(attempt("dan.evans"))
    # And the right password signs in
    response = attempt("dan.evans", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("console:my-work")  # type: ignore[index]


def test_failures_outside_the_window_are_not_counted(demo):
    fail("dan.evans", 4)
    SignInFailure.objects.update(at=timezone.now() - timedelta(minutes=16))
    assert "The username or password is not right" in body(attempt("dan.evans"))
    assert not SignInLockout.objects.exists()
    assert SignInFailure.objects.count() == 1  # the old ones were cleared away


def test_signing_in_clears_the_count(demo):
    fail("dan.evans", 4)
    assert attempt("dan.evans", PASSWORD).status_code == 302  # type: ignore[attr-defined]
    assert not SignInFailure.objects.filter(username="dan.evans", cleared=False).exists()
    # Four more wrong tries do not lock it: the count started again
    assert "The username or password is not right" in body(fail("dan.evans", 4))
    assert not SignInLockout.objects.exists()


def test_one_address_trying_many_usernames_is_locked(demo):
    # Twenty different usernames from one address: none reaches five, the address does.
    with override_settings(STEWARD_SIGN_IN_MAX_FAILURES_PER_ADDRESS=6):
        for n in range(5):
            attempt(f"guess{n}", address="198.51.100.9")
        sixth = attempt("guess5", address="198.51.100.9")
        assert "Signing in from this network is temporarily locked" in body(sixth)
        # Dan, from that address, waits too; from his own desk he can sign in
        assert attempt("dan.evans", PASSWORD, address="198.51.100.9").status_code == 429  # type: ignore[attr-defined]
        assert attempt("dan.evans", PASSWORD, address="192.0.2.10").status_code == 302  # type: ignore[attr-defined]
    lock = SignInLockout.objects.get(scope="address")
    assert lock.address == "198.51.100.9" and lock.failures == 6


@override_settings(STEWARD_SIGN_IN_MAX_FAILURES_PER_ADDRESS=6)
def test_signing_in_does_not_clear_what_an_address_tried(demo):
    fail("dan.evans", 4, address="198.51.100.9")
    assert attempt("dan.evans", PASSWORD, address="192.0.2.10").status_code == 302  # type: ignore[attr-defined]
    # Dan's count starts again, but the address's four tries still count towards its six
    attempt("guess1", address="198.51.100.9")
    locked = attempt("guess2", address="198.51.100.9")
    assert "Signing in from this network is temporarily locked" in body(locked)


def test_the_admin_sign_in_is_no_way_around_it(demo):
    fail(ADMIN_USERNAME, 5)
    # The admin's own form goes through the same backend: locked, even with the right password
    response = Client(REMOTE_ADDR="203.0.113.7").post(
        "/admin/login/?next=/admin/", {"username": ADMIN_USERNAME, "password": PASSWORD}
    )
    assert response.status_code == 200 and "_auth_user_id" not in response.wsgi_request.session
    assert authenticate(username=ADMIN_USERNAME, password=PASSWORD) is None


def test_lockouts_are_listed_for_administrators(demo):
    fail("dan.evans", 5)
    admin_client = Client()
    admin_client.force_login(User.objects.get(username=ADMIN_USERNAME))
    page = admin_client.get(reverse("admin:accounts_signinlockout_changelist"))
    assert page.status_code == 200 and "dan.evans" in page.content.decode()
    # Nobody edits or deletes the record
    lock = SignInLockout.objects.get()
    assert (
        admin_client.post(reverse("admin:accounts_signinlockout_delete", args=[lock.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert SignInLockout.objects.exists()


@pytest.mark.django_db
def test_api_tokens_do_not_use_passwords(api, demo):
    """A password is not a token: the bearer door never calls the password check, so it
    cannot be used to guess passwords past the lockout."""
    response = api.client.get("/api/v1/requests/mine", HTTP_AUTHORIZATION=f"Bearer {PASSWORD}")
    assert response.status_code == 401
    assert not SignInFailure.objects.exists()
