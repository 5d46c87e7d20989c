"""Settings for the test suite: fast hashing, tasks run inline, mail kept in memory,
attached files kept in a throwaway folder (tests that look at files use their own).

Production hashes passwords with Argon2 (``base.PASSWORD_HASHERS``); here MD5 keeps the
thousands of test sign-ins fast. `steward/accounts/tests/test_hashing.py` checks the
production list."""

import atexit
import shutil
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# A schedule run queued by a test plans inline: bound the engine by work, not 30 s of
# search per day, so it is quick and gives the same plan on every machine.
STEWARD_SCHEDULE_ITERATIONS = 200
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="steward-test-media-"))
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
