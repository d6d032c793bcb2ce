from django.urls import path

from . import views as import_views

app_name = "imports"
urlpatterns = [
    path("", import_views.imports_page, name="page"),
    path("<int:job_id>/", import_views.import_job_page, name="job"),
    path("<int:job_id>/import/", import_views.import_job_commit, name="commit"),
    path("<int:job_id>/again/", import_views.import_job_again, name="again"),
]
