from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from accounts.forms import AdminLoginForm
from accounts.lockout import login_gate
from portal import views

admin.site.site_header = "专家入库系统运维管理"
admin.site.site_title = "专家入库系统"
admin.site.index_title = "运维管理"
admin.site.login_form = AdminLoginForm
# The sidebar repeats the index's list of models and took a quarter of a 1,280 px screen from
# the changelists, whose names then wrapped one character per line; the index and the
# breadcrumbs lead to every model.
admin.site.enable_nav_sidebar = False


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; the file is a static one, served
    (with its hashed name in production) like every other. Not permanent: the hash changes."""
    return redirect(static("favicon.ico"))


def admin_password_change(request):
    """Admin's own 修改密码 (its header links here) is the portal's: a wrong 旧密码 counted as a
    failed login, the change audited (修改密码), the last 5 passwords refused, the reason shown
    when it is owed. Django's page would do none of the first two."""
    return redirect("accounts:password_change")


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("privacy/", views.privacy_notice, name="privacy"),
    path("", include("accounts.urls")),
    path("", include("experts.urls")),
    path("", include("changes.urls")),
    path("", include("draws.urls")),
    path("", include("fees.urls")),
    path("", include("notice.urls")),
    path("", include("certificates.urls")),
    # The operators' login under the same rules as everyone's (accounts.lockout).
    path("admin/login/", login_gate(admin.site.login), name="admin_login"),
    path("admin/password_change/", admin_password_change, name="admin_password_change"),
    path("admin/", admin.site.urls),
]
