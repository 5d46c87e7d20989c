"""Forms for the customer's pages. They check shape only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from steward.requests.services import MAX_TEXT


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
    body = forms.CharField(
        label="Your message",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write your message first."},
    )


class StillNotFixedForm(forms.Form):
    body = forms.CharField(
        label="What is still wrong? (you can leave this empty)",
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


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
