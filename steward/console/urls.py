from django.urls import path

from . import carer_day_views, schedule_views, transfer_views, views

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
    path("console/requests/<int:request_id>/files/", views.request_attach, name="request-attach"),
    path("console/requests/<int:request_id>/files/<int:attachment_id>/", views.request_file, name="request-file"),
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
    path("console/customers/<int:customer_id>/purpose/", views.read_purpose, name="read-purpose"),
    path("console/alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("console/alerts/<int:alert_id>/resolve/", views.alert_resolve, name="alert-resolve"),
    path("console/schedule/", schedule_views.schedule_home, name="schedule"),
    path("console/schedule/plan/", schedule_views.schedule_plan, name="schedule-plan"),
    path("console/schedule/runs/<int:run_id>/", schedule_views.schedule_run, name="schedule-run"),
    path("console/schedule/<int:schedule_id>/", schedule_views.schedule_detail, name="schedule-detail"),
    path("console/schedule/<int:schedule_id>/publish/", schedule_views.schedule_publish, name="schedule-publish"),
    path(
        "console/schedule/<int:schedule_id>/visits/<int:visit_id>/move/",
        schedule_views.schedule_visit_move,
        name="schedule-visit-move",
    ),
    path(
        "console/schedule/<int:schedule_id>/visits/<int:visit_id>/swap/",
        schedule_views.schedule_visit_swap,
        name="schedule-visit-swap",
    ),
    path("console/transfers/", transfer_views.transfer_list, name="transfers"),
    path("console/transfers/new/", transfer_views.transfer_new, name="transfer-new"),
    path("console/transfers/<int:transfer_id>/", transfer_views.transfer_detail, name="transfer"),
    path(
        "console/transfers/<int:transfer_id>/report.csv", transfer_views.transfer_report_download, name="transfer-csv"
    ),
    path(
        "console/transfers/<int:transfer_id>/clients/", transfer_views.transfer_add_clients, name="transfer-add-clients"
    ),
    path("console/transfers/<int:transfer_id>/open/", transfer_views.transfer_open, name="transfer-open"),
    path("console/transfers/<int:transfer_id>/accept/", transfer_views.transfer_accept, name="transfer-accept"),
    path("console/transfers/<int:transfer_id>/decline/", transfer_views.transfer_decline, name="transfer-decline"),
    path("console/transfers/<int:transfer_id>/complete/", transfer_views.transfer_complete, name="transfer-complete"),
    path(
        "console/transfers/<int:transfer_id>/clients/<int:client_id>/reoffer/",
        transfer_views.transfer_reoffer,
        name="transfer-reoffer",
    ),
    path(
        "console/transfers/<int:transfer_id>/clients/<int:client_id>/keep/",
        transfer_views.transfer_keep,
        name="transfer-keep",
    ),
    path("console/my-day/", carer_day_views.my_day, name="my-day"),
    path("console/carers/<int:carer_id>/day/<str:day>/", carer_day_views.carer_day_page, name="carer-day"),
    path(
        "console/carers/<int:carer_id>/day/<str:day>/visits/<int:assignment_id>/check-in/",
        carer_day_views.carer_day_check_in,
        name="carer-day-check-in",
    ),
    path(
        "console/carers/<int:carer_id>/day/<str:day>/visits/<int:assignment_id>/check-out/",
        carer_day_views.carer_day_check_out,
        name="carer-day-check-out",
    ),
]
