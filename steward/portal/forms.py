"""Forms for the customer's pages. They check shape only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from steward.requests.attachment_files import ACCEPT, max_bytes, size_in_words
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


class AskForm(forms.Form):
    need = forms.TypedChoiceField(
        label="What do you need help with?",
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
