from tests.api.conftest import api, partner, room  # noqa: F401 - the partner API's fixtures, reused here
