from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import path, reverse_lazy

from accounts import views
from accounts.lockout import login_gate

app_name = "accounts"

# One name for one function, the one the login page, the lock page and the lock SMS use:
# 找回密码, whose last step is 重设密码 (Django's own titles say 密码重置).

urlpatterns = [
    path("login/", login_gate(views.PortalLoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("privacy/agree/", views.privacy_agree, name="privacy_agree"),
    path(
        "password/change/",
        # Logged in first; then a locked account, pair or slowed address is refused before its
        # 旧密码 is checked, and the session ends with the lock, as on the two-factor page.
        login_required(login_gate(ends_session=True)(views.PortalPasswordChangeView.as_view())),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_done.html", extra_context={"title": "密码已修改"}
        ),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        views.PortalPasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="accounts/password_done.html",
            extra_context={"title": "找回密码：邮件已发送"},
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PortalPasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_done.html", extra_context={"title": "密码已重设"}
        ),
        name="password_reset_complete",
    ),
    path("register/", views.register_choice, name="register"),
    path("register/unit/", views.register_unit, name="register_unit"),
    path("register/individual/", views.register_individual, name="register_individual"),
    path("units/search/", views.unit_search, name="unit_search"),
    path("units/<int:pk>/licence/", views.licence_download, name="licence"),
    path("unit/", views.unit_home, name="unit_home"),
    path("unit/resubmit/", views.unit_resubmit, name="unit_resubmit"),
    path("unit/profile/", views.unit_profile, name="unit_profile"),
    path("bureau/units/", views.bureau_unit_queue, name="bureau_unit_queue"),
    path("bureau/units/<int:pk>/", views.bureau_unit_detail, name="bureau_unit_detail"),
    path(
        "bureau/units/<int:pk>/approve/",
        views.bureau_unit_decide,
        {"action": "approve"},
        name="bureau_unit_approve",
    ),
    path(
        "bureau/units/<int:pk>/reject/",
        views.bureau_unit_decide,
        {"action": "reject"},
        name="bureau_unit_reject",
    ),
]
