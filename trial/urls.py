from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from trial import (
    accessibility,
    account_views,
    admin_views,
    export_views,
    job_views,
    query_views,
    review_views,
    sdv_views,
    views,
)
from trial.accounts import LoginForm


class CodeConverter:
    regex = "[A-Z0-9_-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "code")

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        account_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path("accounts/locks/", account_views.account_locks, name="account_locks"),
    path("accounts/session/", account_views.session_status, name="session_status"),
    path("accounts/session/reauth/", account_views.session_reauth, name="session_reauth"),
    path("accounts/2fa/", account_views.otp_verify, name="otp_verify"),
    path("accounts/2fa/setup/", account_views.otp_setup, name="otp_setup"),
    path("administration/", admin_views.users, name="admin_users"),
    path("administration/users/new/", admin_views.user_new, name="admin_user_new"),
    path("administration/users/<int:pk>/", admin_views.user_detail, name="admin_user"),
    path("administration/sites/", admin_views.sites, name="admin_sites"),
    path("administration/sites/<int:pk>/", admin_views.site_detail, name="admin_site"),
    path("administration/roles/", admin_views.roles_over_time, name="admin_roles"),
    path("administration/trail/", admin_views.trail, name="admin_trail"),
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", accessibility.statement, name="accessibility"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", views.participant_list, name="participant_list"),
    path("participants/new/", views.participant_register, name="participant_register"),
    path("p/<code:code>/", views.participant_detail, name="participant_detail"),
    path("p/<code:code>/log/<code:form>/new/", views.crf_add_repeat, name="crf_add_repeat"),
    path("p/<code:code>/<code:event>/<code:form>/<int:repeat>/", views.crf_edit, name="crf_edit"),
    path(
        "p/<code:code>/<code:event>/<code:form>/<int:repeat>/history/",
        views.crf_history,
        name="crf_history",
    ),
    path(
        "p/<code:code>/<code:event>/<code:form>/<int:repeat>/delete/",
        views.crf_delete,
        name="crf_delete",
    ),
    path(
        "p/<code:code>/<code:event>/<code:form>/<int:repeat>/lock/",
        views.form_lock,
        {"lock": True},
        name="form_lock",
    ),
    path(
        "p/<code:code>/<code:event>/<code:form>/<int:repeat>/unlock/",
        views.form_lock,
        {"lock": False},
        name="form_unlock",
    ),
    path(
        "p/<code:code>/event/<code:event>/lock/",
        views.event_lock,
        {"lock": True},
        name="event_lock",
    ),
    path(
        "p/<code:code>/event/<code:event>/unlock/",
        views.event_lock,
        {"lock": False},
        name="event_unlock",
    ),
    path("p/<code:code>/lock/", views.casebook_lock, {"lock": True}, name="casebook_lock"),
    path("p/<code:code>/unlock/", views.casebook_lock, {"lock": False}, name="casebook_unlock"),
    path("p/<code:code>/sign/<slug:kind>/", views.signature_sign, name="signature_sign"),
    path(
        "p/<code:code>/<code:event>/<code:form>/<int:repeat>/queries/new/",
        query_views.query_raise,
        name="query_raise",
    ),
    path("p/<code:code>/queries/<int:pk>/", query_views.query_detail, name="query_detail"),
    path(
        "p/<code:code>/queries/<int:pk>/<slug:what>/",
        query_views.query_act,
        name="query_act",
    ),
    path(
        "p/<code:code>/<code:event>/<code:form>/<int:repeat>/sdv/",
        sdv_views.sdv_verify,
        name="sdv_verify",
    ),
    path("sdv/", sdv_views.sdv_site, name="sdv_site"),
    path("exports/", export_views.exports, name="exports"),
    path("exports/progress/<str:token>/", export_views.export_progress, name="export_progress"),
    path("audit/", views.system_audit, name="system_audit"),
    path("review/", review_views.audit_review, name="audit_review"),
    path("review/mark/", review_views.audit_review_mark, name="audit_review_mark"),
    path("todo/", job_views.todo, name="todo"),
    path("profile/", job_views.profile, name="profile"),
    path("reminders/log/", job_views.reminder_log, name="reminder_log"),
    path("pdf/new/<slug:kind>/", job_views.pdf_request, name="pdf_request"),
    path("pdf/<int:pk>/", job_views.pdf_job, name="pdf_job"),
    path("pdf/<int:pk>/download/", job_views.pdf_download, name="pdf_download"),
    path("pdf/<int:pk>/retry/", job_views.pdf_retry, name="pdf_retry"),
    path("eligibility/", include("eligibility.urls")),
    path("dosing/", include("dosing.urls")),
    path("imaging/", include("imaging.urls")),
    path("followup/", include("followup.urls")),
    path("submission/", include("submission.urls")),
    path("oversight/", include("oversight.urls")),
]

handler400 = "trial.views.bad_request"
handler404 = "trial.views.not_found"
handler500 = "trial.views.server_error"
