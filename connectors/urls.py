from django.urls import path

from . import platform_views, views

app_name = "connections"
urlpatterns = [
    path("", views.connections_page, name="index"),
    path("add/", views.connection_add_page, name="add"),
    path("<int:pk>/rotate/", views.connection_rotate_page, name="rotate"),
    path("<int:pk>/poll/", views.connection_poll_page, name="poll"),
    path("<int:pk>/rates/", views.connection_rates_page, name="rates"),
    path("<int:pk>/mapping/", views.connection_mapping_page, name="mapping"),
    path("<int:pk>/delete/", views.connection_delete_page, name="delete"),
    path("platforms/add/", platform_views.platform_add_page, name="platform-add"),
    path("platforms/<int:pk>/sync/", platform_views.platform_sync_page, name="platform-sync"),
    path("platforms/<int:pk>/pause/", platform_views.platform_pause_page, name="platform-pause"),
    path("platforms/<int:pk>/delete/", platform_views.platform_delete_page, name="platform-delete"),
    path(
        "<slug:platform>/authorise/",
        platform_views.platform_authorise_page,
        name="platform-authorise",
    ),
    path(
        "<slug:platform>/callback/", platform_views.platform_callback_page, name="platform-callback"
    ),
]
