from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("console/login/", views.StaffLoginView.as_view(), name="login"),
    path("console/logout/", views.logout_view, name="logout"),
    path("console/", views.my_work, name="my-work"),
    path("console/notifications/<int:notification_id>/read/", views.notification_read, name="notification-read"),
    path("console/requests/<int:request_id>/", views.request_detail, name="request"),
    path("console/requests/<int:request_id>/messages/", views.request_message, name="request-message"),
    path("console/requests/<int:request_id>/notes/", views.request_note, name="request-note"),
    path("console/requests/<int:request_id>/status/", views.request_status, name="request-status"),
    path("console/requests/<int:request_id>/offer/", views.request_offer, name="request-offer"),
    path("console/handovers/", views.handovers, name="handovers"),
    path("console/handovers/<int:offer_id>/", views.handover_detail, name="handover"),
    path("console/handovers/<int:offer_id>/accept/", views.handover_accept, name="handover-accept"),
    path("console/handovers/<int:offer_id>/decline/", views.handover_decline, name="handover-decline"),
    path("console/handovers/<int:offer_id>/withdraw/", views.handover_withdraw, name="handover-withdraw"),
    path("console/capture/", views.capture, name="capture"),
    path("console/capture/<int:request_id>/done/", views.capture_done, name="capture-done"),
    path("console/customers/<int:customer_id>/", views.customer_detail, name="customer"),
]
