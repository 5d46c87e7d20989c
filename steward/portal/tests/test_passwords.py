"""The optional password: set after signing in with a code, sign in with it instead of a
code, the same answer for every kind of wrong, limited tries, and changed only with the
current one when that is how you signed in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from steward.portal.access import EMAIL_KEY, SESSION_KEY, SIGNED_IN_BY_KEY
from steward.portal.models import PasswordAttempt, PortalPassword
from steward.trusted.tests.factories import make_trusted

from .conftest import email_of

pytestmark = pytest.mark.django_db

GOOD = "blue kettle on the hill"


def signed_in_by_code(email: str, customer_id: int | None = None) -> Client:
    client = Client()
    session = client.session
    session[EMAIL_KEY] = email
    session[SIGNED_IN_BY_KEY] = "code"
    if customer_id is not None:
        session[SESSION_KEY] = customer_id
    session.save()
    return client


def set_password(client: Client, password: str = GOOD, **extra: str):
    return client.post("/me/account/", {"new_password": password, "again": password, **extra})


def test_set_a_password_after_a_code_and_sign_in_with_it(world):
    email = email_of(world.customer)
    client = signed_in_by_code(email, world.customer.pk)
    assert "Set a password (optional)" in client.get("/me/account/").content.decode()
    assert set_password(client).status_code == 302
    stored = PortalPassword.objects.get(email=email)
    assert GOOD not in stored.password_hash
    other = Client()
    response = other.post("/me/sign-in/password/", {"email": email.upper(), "password": GOOD}, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 302 and response.url == "/me/"
    assert other.session[SESSION_KEY] == world.customer.pk
    assert "Hello" in other.get("/me/").content.decode()


def test_a_trusted_person_can_use_a_password_too(world):
    sara = make_trusted(customer=world.customer, email="sara@example.org")
    set_password(signed_in_by_code("sara@example.org"))
    client = Client()
    client.post("/me/sign-in/password/", {"email": "sara@example.org", "password": GOOD})
    assert client.session[SESSION_KEY] == world.customer.pk and client.session["portal_trust_id"] == sara.pk


def test_wrong_password_unknown_address_and_no_password_all_read_the_same(world):
    email = email_of(world.customer)
    set_password(signed_in_by_code(email, world.customer.pk))
    answers = set()
    for tried_email, password in [(email, "wrong one here"), ("nobody@example.org", GOOD), ("x@example.org", "y")]:
        response = Client().post("/me/sign-in/password/", {"email": tried_email, "password": password})
        assert response.status_code == 400
        html = response.content.decode()
        answers.add("That email address and password do not match" in html)
    assert answers == {True}
    assert PasswordAttempt.objects.count() == 3


def test_wrong_tries_are_limited_per_address(world):
    email = email_of(world.customer)
    set_password(signed_in_by_code(email, world.customer.pk))
    for n in range(5):
        Client().post("/me/sign-in/password/", {"email": email, "password": f"wrong {n}"}, REMOTE_ADDR=f"10.2.0.{n}")
    response = Client().post("/me/sign-in/password/", {"email": email, "password": GOOD}, REMOTE_ADDR="10.2.1.1")
    assert response.status_code == 429 and "wait 15 minutes" in response.content.decode()


def test_a_weak_or_mismatched_password_is_refused_by_the_field(world):
    client = signed_in_by_code(email_of(world.customer), world.customer.pk)
    response = set_password(client, "password")
    assert response.status_code == 400 and "too common" in response.content.decode()
    response = client.post("/me/account/", {"new_password": GOOD, "again": GOOD + "!"})
    assert response.status_code == 400 and "not the same" in response.content.decode()
    assert not PortalPassword.objects.exists()


def test_changing_after_a_password_sign_in_needs_the_current_one(world):
    email = email_of(world.customer)
    set_password(signed_in_by_code(email, world.customer.pk))
    client = Client()
    client.post("/me/sign-in/password/", {"email": email, "password": GOOD})
    before = PortalPassword.objects.get().password_hash
    response = set_password(client, "a different long phrase", current="not it")
    assert response.status_code == 403 and "current password is not right" in response.content.decode()
    assert PortalPassword.objects.get().password_hash == before
    assert set_password(client, "a different long phrase", current=GOOD).status_code == 302
    assert PortalPassword.objects.get().password_hash != before


def test_removing_the_password_goes_back_to_codes(world):
    email = email_of(world.customer)
    client = signed_in_by_code(email, world.customer.pk)
    set_password(client)
    client.post("/me/account/", {"remove": "1"})
    assert not PortalPassword.objects.exists()
    assert Client().post("/me/sign-in/password/", {"email": email, "password": GOOD}).status_code == 400


def test_account_needs_a_portal_sign_in_and_refuses_staff(world):
    assert Client().get("/me/account/").url == "/me/sign-in/"
    client = signed_in_by_code(email_of(world.customer), world.customer.pk)
    client.force_login(get_user_model().objects.create_user(username="staffer", password="x"))
    assert client.get("/me/account/").status_code == 403


def test_every_page_links_to_the_account(world):
    client = signed_in_by_code(email_of(world.customer), world.customer.pk)
    assert 'href="/me/account/">My account</a>' in client.get("/me/").content.decode()
