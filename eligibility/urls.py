from django.urls import path

from eligibility import views

app_name = "eligibility"
urlpatterns = [
    path("<code:code>/derived/<code:event>/<code:form>/", views.derived_values, name="derived"),
]
