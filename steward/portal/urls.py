from django.urls import path

from . import preferences_views, privacy_views, trusted_views, views, visits_views

app_name = "portal"

urlpatterns = [
    path("me/", views.my_requests, name="my-requests"),
    path("me/sign-in/", views.sign_in_email, name="sign-in"),
    path("me/sign-in/code/", views.sign_in_code, name="sign-in-code"),
    path("me/sign-in/password/", views.sign_in_password, name="sign-in-password"),
    path("me/account/", views.account, name="account"),
    path("me/sign-out/", views.sign_out, name="sign-out"),
    path("me/whose/", views.choose_whose, name="choose"),
    path("me/trusted-people/", trusted_views.trusted_people, name="trusted-people"),
    path("me/trusted-people/<int:trusted_id>/end/", trusted_views.trusted_person_end, name="trusted-person-end"),
    path("me/requests/<int:request_id>/", views.request_detail, name="request"),
    path("me/requests/<int:request_id>/reply/", views.request_reply, name="request-reply"),
    path("me/requests/<int:request_id>/files/<int:attachment_id>/", views.request_file, name="request-file"),
    path("me/requests/<int:request_id>/still-not-fixed/", views.request_still_not_fixed, name="request-not-fixed"),
    path("me/ask/", views.ask, name="ask"),
    path("me/visits/", visits_views.visits, name="visits"),
    path("me/visits/<int:pattern_id>/time/", visits_views.visit_time, name="visit-time"),
    path("me/preferences/", preferences_views.preferences, name="preferences"),
    path("me/privacy/", privacy_views.privacy, name="privacy"),
    path("me/privacy/grants/<int:grant_id>/withdraw", privacy_views.grant_withdraw, name="grant-withdraw"),
    path("me/privacy/my-record.json", privacy_views.export_download, name="export-json"),
    path("me/privacy/my-record/", privacy_views.export_page, name="export-html"),
    path("me/privacy/give/", privacy_views.grant_give, name="grant-give"),
    path("me/privacy/receipts/<int:receipt_id>/", privacy_views.receipt, name="receipt"),
    path("me/privacy/receipts/<int:receipt_id>.json", privacy_views.receipt_download, name="receipt-json"),
    path("me/privacy/ask/", privacy_views.privacy_ask, name="privacy-ask"),
]
