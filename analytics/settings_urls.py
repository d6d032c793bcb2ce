from django.urls import path

from . import settings_views

app_name = "settings"
urlpatterns = [
    path("", settings_views.settings_page, name="index"),
    path("token/", settings_views.api_token_create_page, name="token-create"),
    path("token/revoke/", settings_views.api_token_revoke_page, name="token-revoke"),
]
