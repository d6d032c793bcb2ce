from django.urls import path

from . import views

app_name = "connections"
urlpatterns = [
    path("", views.connections_page, name="index"),
    path("add/", views.connection_add_page, name="add"),
    path("<int:pk>/rotate/", views.connection_rotate_page, name="rotate"),
    path("<int:pk>/poll/", views.connection_poll_page, name="poll"),
    path("<int:pk>/rates/", views.connection_rates_page, name="rates"),
    path("<int:pk>/mapping/", views.connection_mapping_page, name="mapping"),
    path("<int:pk>/delete/", views.connection_delete_page, name="delete"),
]
