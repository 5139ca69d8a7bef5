"""The login page, with an optional TOTP second factor (django-otp) for admin and finance
users: once one of them has a confirmed authenticator (set up by an admin in the Django
admin, "TOTP devices"), the password alone no longer logs them in."""

from __future__ import annotations

import django_otp
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django_otp.forms import OTPAuthenticationFormMixin

from . import roles

SECOND_FACTOR_ROLES = (roles.ADMIN, roles.FINANCE)


def second_factor_required(user) -> bool:
    return user.groups.filter(name__in=SECOND_FACTOR_ROLES).exists() and django_otp.user_has_device(
        user, confirmed=True
    )


class SecondFactorLoginForm(OTPAuthenticationFormMixin, AuthenticationForm):
    # the fields django-otp's mixin reads; the page shows only the code
    otp_device = forms.CharField(required=False, widget=forms.Select)
    otp_token = forms.CharField(
        required=False,
        label="Authenticator code",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
    otp_challenge = forms.CharField(required=False)

    def _chosen_device(self, user):
        # The page has no device picker: a user has one authenticator, their first confirmed.
        device = super()._chosen_device(user)
        if device is None:
            device = next(django_otp.devices_for_user(user, confirmed=True), None)
        return device

    def clean(self):
        self.cleaned_data = super().clean()
        user = self.get_user()
        if user is not None and second_factor_required(user):
            self.clean_otp(user)
        return self.cleaned_data


class SecondFactorLoginView(LoginView):
    form_class = SecondFactorLoginForm
    template_name = "registration/login.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        device = getattr(form.get_user(), "otp_device", None)
        if device is not None:
            django_otp.login(self.request, device)
        return response
