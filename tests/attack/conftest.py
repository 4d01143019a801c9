"""The project's fixtures these tests reuse, made visible here."""

from tests.api.conftest import partner, room  # noqa: F401
from tests.suppliers.test_suppliers import own_hotel, sandbox, supplier  # noqa: F401
