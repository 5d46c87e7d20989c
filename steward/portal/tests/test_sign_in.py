"""Signing in with an emailed one-time code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from steward.portal import services
from steward.portal.access import SESSION_KEY
from steward.portal.models import CodeRequest, SignInCode

from .conftest import email_of

pytestmark = pytest.mark.django_db


def ask_code(client: Client, email: str, ip: str = "10.0.0.1"):
    return client.post("/me/sign-in/", {"email": email}, REMOTE_ADDR=ip)


def code_from_mail() -> str:
    match = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)
    assert match
    return match.group(1)


def test_right_code_signs_the_customer_in_with_a_new_session(world):
    client = Client()
    client.get("/me/sign-in/")
    response = ask_code(client, email_of(world.customer).upper())
    assert response.status_code == 302 and response.url == "/me/sign-in/code/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [email_of(world.customer)]
    before = client.session.session_key
    response = client.post("/me/sign-in/code/", {"code": code_from_mail()})
    assert response.status_code == 302 and response.url == "/me/"
    assert client.session[SESSION_KEY] == world.customer.pk
    assert client.session.session_key != before
    assert client.get("/me/").status_code == 200
    stored = SignInCode.objects.get()
    assert stored.used_at is not None and code_from_mail() not in stored.code_hash


def test_a_code_works_once(world):
    client = Client()
    ask_code(client, email_of(world.customer))
    code = code_from_mail()
    client.post("/me/sign-in/code/", {"code": code})
    other = Client()
    session = other.session
    session["portal_pending_email"] = email_of(world.customer)
    session.save()
    response = other.post("/me/sign-in/code/", {"code": code})
    assert response.status_code == 400 and SESSION_KEY not in other.session


def test_wrong_code_is_refused_in_words_for_a_person(world):
    client = Client()
    ask_code(client, email_of(world.customer))
    wrong = "000000" if code_from_mail() != "000000" else "111111"
    response = client.post("/me/sign-in/code/", {"code": wrong})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert SignInCode.objects.get().attempts == 1


def test_expired_code_does_not_sign_in(world):
    earlier = timezone.now() - timedelta(minutes=11)
    services.sign_in_code_request(email=email_of(world.customer), ip=None, now=earlier)
    assert services.sign_in_code_check(email=email_of(world.customer), code=code_from_mail()) is None
    client = Client()
    session = client.session
    session["portal_pending_email"] = email_of(world.customer)
    session.save()
    response = client.post("/me/sign-in/code/", {"code": code_from_mail()})
    assert response.status_code == 400 and SESSION_KEY not in client.session


def test_five_wrong_tries_void_the_code(world):
    services.sign_in_code_request(email=email_of(world.customer), ip=None)
    right = code_from_mail()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        assert services.sign_in_code_check(email=email_of(world.customer), code=wrong) is None
    assert SignInCode.objects.get().voided_at is not None
    assert services.sign_in_code_check(email=email_of(world.customer), code=right) is None


def test_unknown_email_looks_the_same_and_sends_nothing(world):
    known, unknown = Client(), Client()
    a = ask_code(known, email_of(world.customer))
    b = ask_code(unknown, "nobody@example.org", ip="10.0.0.2")
    assert (a.status_code, a.url) == (b.status_code, b.url)
    page_a = known.get("/me/sign-in/code/").content.decode().replace(email_of(world.customer), "X")
    page_b = unknown.get("/me/sign-in/code/").content.decode().replace("nobody@example.org", "X")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", page_a) == strip.sub("", page_b)
    assert len(mail.outbox) == 1
    assert CodeRequest.objects.filter(email="nobody@example.org", sent=False).exists()


def test_codes_are_rate_limited_per_address_and_per_ip(world):
    client = Client()
    for _ in range(3):
        assert ask_code(client, email_of(world.customer)).status_code == 302
    limited = ask_code(client, email_of(world.customer), ip="10.9.9.9")
    assert limited.status_code == 429 and "wait 15 minutes" in limited.content.decode()
    assert len(mail.outbox) == 3
    # Unknown addresses count alike, so the limit reveals nothing.
    for _ in range(3):
        ask_code(client, "nobody@example.org", ip="10.0.0.3")
    assert ask_code(client, "nobody@example.org", ip="10.0.0.4").status_code == 429
    # Per IP: ten asks from one address, whatever the email.
    for n in range(10):
        ask_code(client, f"someone{n}@example.org", ip="10.7.7.7")
    assert ask_code(client, "another@example.org", ip="10.7.7.7").status_code == 429


def test_limits_reset_after_the_window(world):
    earlier = timezone.now() - timedelta(minutes=16)
    for _ in range(3):
        services.sign_in_code_request(email=email_of(world.customer), ip="10.0.0.1", now=earlier)
    assert not services.sign_in_code_request(email=email_of(world.customer), ip="10.0.0.1").limited


def test_sign_out_ends_the_customer_session(world):
    client = Client()
    ask_code(client, email_of(world.customer))
    client.post("/me/sign-in/code/", {"code": code_from_mail()})
    assert client.post("/me/sign-out/").status_code == 200
    assert client.get("/me/").url == "/me/sign-in/"


def test_code_page_without_an_email_goes_back_to_the_start(db):
    assert Client().get("/me/sign-in/code/").url == "/me/sign-in/"


def test_bad_email_is_a_form_error(db):
    response = Client().post("/me/sign-in/", {"email": "not an email"})
    assert response.status_code == 400 and "Enter an email address" in response.content.decode()


def test_demo_customer_signs_in_and_sees_who_looks_after_her_request(demo):
    client = Client()
    ask_code(client, "amina.khan@example.org")
    client.post("/me/sign-in/code/", {"code": code_from_mail()})
    html = client.get("/me/").content.decode()
    assert "Hello Mrs Khan" in html and "Looking after it:" in html and "answers to" in html
