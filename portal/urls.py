from django.contrib import admin
from django.urls import include, path

from accounts.forms import AdminLoginForm
from accounts.lockout import login_gate
from portal import views

admin.site.site_header = "专家入库系统运维管理"
admin.site.site_title = "专家入库系统"
admin.site.index_title = "运维管理"
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include("experts.urls")),
    # The operators' login under the same rules as everyone's (accounts.lockout).
    path("admin/login/", login_gate(admin.site.login), name="admin_login"),
    path("admin/", admin.site.urls),
]
