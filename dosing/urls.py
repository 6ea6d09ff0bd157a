from django.urls import path

from dosing import views
from dosing.labimport import views as lab_views

app_name = "dosing"
urlpatterns = [
    path("p/<code:code>/<code:event>/lab-grades/", views.lab_grades, name="lab_grades"),
    path("p/<code:code>/ae/from-finding/", views.ae_from_finding, name="ae_from_finding"),
    path("ctcae/search/", views.ctcae_search, name="ctcae_search"),
    path("ctcae/term/", views.ctcae_term, name="ctcae_term"),
    path("labs/import/", lab_views.lab_upload, name="lab_upload"),
    path("labs/settings/", lab_views.lab_settings, name="lab_settings"),
    path("p/<code:code>/labs/", lab_views.lab_queue, name="lab_queue"),
    path("p/<code:code>/labs/waiting/", lab_views.lab_waiting, name="lab_waiting"),
]
