"""Background delivery of notifications by email. Idempotent: a notification that
has already been emailed is not sent again if the task runs twice."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .models import Notification


@task()
def notification_email(notification_id: int) -> bool:
    """Email one notification to its recipient; returns whether an email went out."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient__user")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at is not None:
            return False
        address = notification.recipient.user.email
        if not address:
            return False
        send_mail(notification.title, notification.body, None, [address])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        return True
