"""Passwords are hashed with Argon2 in production; older hashes still work and are
upgraded the next time their owner signs in. (The test settings use a fast hasher.)"""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client, override_settings
from django.urls import reverse

from config.settings import base
from steward.accounts.models import User
from steward.demo.personas import DEMO_PASSWORD


def test_production_settings_hash_with_argon2_first_and_keep_the_old_ones():
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in base.PASSWORD_HASHERS[1:]


@override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)
def test_a_new_password_is_an_argon2_hash():
    assert make_password("correct horse battery staple").startswith("argon2$argon2id$")


@pytest.mark.django_db
def test_an_old_pbkdf2_hash_is_upgraded_to_argon2_on_sign_in(demo):
    user = User.objects.get(username="dan.evans")
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        # Given a password stored the old way (Django's default before Steward chose Argon2)
        user.password = make_password(DEMO_PASSWORD, hasher="pbkdf2_sha256")
        user.save(update_fields=["password"])
        # When Dan signs in
        response = Client().post(reverse("console:login"), {"username": "dan.evans", "password": DEMO_PASSWORD})
        # Then he is in, and his password is now kept as an Argon2 hash
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.password.startswith("argon2$")
