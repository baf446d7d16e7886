"""The portal's URLs, and beside them the benchmark's references."""

from django.urls import include, path

from bench import views
from bench.admin import site

urlpatterns = [
    path("bench/raw/", views.raw_list, name="bench_raw_list"),
    path("bench/admin/", site.urls),
    path("", include("portal.urls")),
]
