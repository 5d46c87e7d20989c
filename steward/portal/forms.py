"""Forms for the customer's pages. They check shape only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from steward.requests.attachment_files import ACCEPT, max_bytes, size_in_words
from steward.requests.services import MAX_TEXT
from steward.trusted.permissions import Scope

TRUSTED_SCOPE_CHOICES = list(Scope.choices)


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        help_text="The address you gave us. We will email you a 6-digit code.",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address like name@example.org.",
        },
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="The 6-digit code from the email",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": "Enter the code from the email."},
    )


class ReplyForm(forms.Form):
    """A message, a file, or both. Whether the file is a kind we take, and small enough,
    is for `request_attach` to say (it reads the bytes)."""

    body = forms.CharField(
        label="Your message",
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    file = forms.FileField(
        label="Add a photo or document (you can leave this empty)",
        required=False,
        help_text="A photo, a PDF or a text file, up to {limit}.",
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = self.fields["file"].help_text.format(limit=size_in_words(max_bytes()))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not (cleaned.get("body") or "").strip() and not cleaned.get("file") and "body" not in self.errors:
            self.add_error(
                "body",
                "Write your message first. If you only want to send a photo or document, choose the file below.",
            )
        return cleaned


class StillNotFixedForm(forms.Form):
    body = forms.CharField(
        label="What is still wrong? (you can leave this empty)",
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Ids of its own: it shares the request page with the reply form, whose field is
        # also called "body", and a label must point at one field only.
        kwargs.setdefault("auto_id", "not_fixed_%s")
        super().__init__(*args, **kwargs)


class AskForm(forms.Form):
    """What a customer asks for help with: the need, in their own words, and the details.

    One form on both sides of the counter (principle 9): the customer fills it in on the
    portal's Ask for help page, and staff fill in the very same questions with them in
    the console (agent-assisted); `console.forms.CaptureForm` adds only who it is for
    and how they got in touch. Both render it with ``portal/_ask_fields.html``."""

    need = forms.TypedChoiceField(
        label="What do you need help with?",
        help_text=(
            "Choose the one closest to what you need. If none fits exactly, choose the nearest and tell us more below."
        ),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what you need help with.", "invalid_choice": "Choose one of the options."},
    )
    description = forms.CharField(
        label="Tell us about it",
        help_text="In your own words. The person who looks after it reads this first.",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Tell us a little about what you need."},
    )

    def __init__(self, *args: Any, need_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["need"].choices = [(pk, str(pk)) for pk in need_ids]  # type: ignore[attr-defined]


RELATIONSHIP_SUGGESTIONS = ["daughter", "son", "partner", "friend", "neighbour", "advocate", "carer"]


class TrustedPersonForm(forms.Form):
    """Naming someone to act for you in these pages."""

    name = forms.CharField(
        label="Their name",
        max_length=200,
        error_messages={"required": "Enter the name of the person you trust."},
    )
    email = forms.EmailField(
        label="Their email address",
        help_text="They sign in with this address and a code we email to them. They do not need an account.",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "required": "Enter their email address.",
            "invalid": "Enter an email address like name@example.org.",
        },
    )
    relationship = forms.CharField(
        label="Who they are to you",
        help_text="For example: daughter, son, friend, advocate.",
        max_length=100,
        widget=forms.TextInput(attrs={"list": "relationship-suggestions"}),
        error_messages={"required": "Say who they are to you, for example daughter or advocate."},
    )
    scopes = forms.MultipleChoiceField(
        label="What may they do for you?",
        choices=TRUSTED_SCOPE_CHOICES,
        initial=["see_requests", "reply"],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one thing they may do for you."},
    )
    ends_on = forms.DateField(
        label="Until when? (you can leave this empty)",
        help_text="Their access ends at the end of this day. Empty: until you end it. You can end it at any time.",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date like 2027-03-31."},
    )


class PasswordSignInForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address like name@example.org.",
        },
    )
    password = forms.CharField(
        label="Your password",
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )


class SetPasswordForm(forms.Form):
    current = forms.CharField(
        label="Your current password",
        max_length=200,
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label="New password",
        help_text="At least 8 characters, not a common password. Or keep using codes: a password is optional.",
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter the new password."},
    )
    again = forms.CharField(
        label="The new password again",
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter the new password again."},
    )

    def __init__(self, *args: Any, needs_current: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.needs_current = needs_current
        if not needs_current:
            del self.fields["current"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.needs_current and not data.get("current"):
            self.add_error("current", "Enter your current password.")
        if data.get("new_password") and data.get("again") and data["new_password"] != data["again"]:
            self.add_error("again", "The two new passwords are not the same.")
        return data
