"""Finding 10: the supplier admin never writes the supplier's API key back into the page."""

import pytest

from suppliers.models import Supplier
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY = "live-supplier-key-3f9a1c7e"


@pytest.fixture
def supplier():
    return Supplier.objects.create(name="Elsewhere Travel", base_url="https://supplier.example", api_key=KEY)


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def change_url(supplier):
    return f"/admin/suppliers/supplier/{supplier.pk}/change/"


def test_the_change_page_does_not_show_the_api_key(superuser_client, supplier):
    page = superuser_client.get(change_url(supplier))
    assert page.status_code == 200
    assert KEY not in page.content.decode()


def test_saving_without_typing_a_key_keeps_the_current_one(superuser_client, supplier):
    response = superuser_client.post(
        change_url(supplier),
        {"name": "Elsewhere Travel", "base_url": "https://supplier.example", "api_key": "", "timeout_ms": 900},
    )
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.api_key == KEY and supplier.timeout_ms == 900


def test_a_typed_key_replaces_the_current_one(superuser_client, supplier):
    superuser_client.post(
        change_url(supplier),
        {"name": "Elsewhere Travel", "base_url": "https://supplier.example", "api_key": "new-key", "timeout_ms": 700},
    )
    supplier.refresh_from_db()
    assert supplier.api_key == "new-key"


def test_a_new_supplier_needs_a_key(superuser_client):
    response = superuser_client.post(
        "/admin/suppliers/supplier/add/",
        {"name": "Keyless", "base_url": "https://keyless.example", "api_key": "", "timeout_ms": 700},
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not Supplier.objects.filter(name="Keyless").exists()
