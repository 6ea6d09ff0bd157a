from django.urls import path

from followup import views

app_name = "followup"
urlpatterns = [
    path("p/<code:code>/recist/", views.participant_recist, name="participant_recist"),
    path("spider/", views.spider, name="spider"),
    path("waterfall/", views.waterfall, name="waterfall"),
]
