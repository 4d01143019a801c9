import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotels.models import HotelStaff
from hotels.services import staff_member_add
from tests.factories import HotelFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    user = UserFactory(email="boss@hotel.example")
    staff_member_add(hotel=HotelFactory(), user=user, role=HotelStaff.Role.MANAGER)
    return user


def test_admin_requires_a_second_factor(client, settings, manager, capsys):
    settings.ADMIN_REQUIRE_2FA = True
    client.force_login(manager)
    assert client.get("/admin/").status_code == 302  # password alone is not enough
    call_command("staff_2fa_setup", "--email", manager.email)
    assert capsys.readouterr().out.startswith("otpauth://totp/")
    device = TOTPDevice.objects.get(user=manager)
    client.logout()
    wrong = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": manager.email,
            "password": "correct horse battery",
            "otp_device": device.persistent_id,
            "otp_token": "000000",
        },
    )
    assert wrong.status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # django-otp slows down guessing
    device.throttle_reset()
    token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": manager.email,
            "password": "correct horse battery",
            "otp_device": device.persistent_id,
            "otp_token": token,
        },
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_staff_sessions_expire_sooner_than_customers(client, settings, manager):
    settings.STAFF_SESSION_SECONDS = 3600
    client.post("/accounts/login/", {"username": manager.email, "password": "correct horse battery"})
    assert client.session.get_expiry_age() == 3600
    client.logout()
    customer = UserFactory(email="guest@example.com")
    client.post("/accounts/login/", {"username": customer.email, "password": "correct horse battery"})
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
