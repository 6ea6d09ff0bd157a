from django.urls import path

from oversight import views

app_name = "oversight"

urlpatterns = [
    path("", views.page, name="page"),
    path("participants/", views.behind, name="behind"),
    path("dsmb/", views.report_request, name="report_request"),
    path("dsmb/<int:pk>/", views.report_job, name="report_job"),
    path("dsmb/<int:pk>/download/", views.report_download, name="report_download"),
    path("dsmb/<int:pk>/retry/", views.report_retry, name="report_retry"),
]
