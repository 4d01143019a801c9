"""Privacy, terms and imprint: editable in the admin, per language with the default as fallback, linked from the
footer, plain text (no staff-written HTML on the site)."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import LegalPage

pytestmark = pytest.mark.django_db


def test_the_footer_links_the_three_pages_and_each_answers(client):
    home = client.get("/").content.decode()
    for slug in ("privacy", "terms", "imprint"):
        url = reverse("legal:page", kwargs={"slug": slug})
        assert f'href="{url}"' in home
        assert client.get(url).status_code == 200
    assert client.get("/legal/cookies/").status_code == 404


def test_a_page_written_in_the_admin_is_shown_as_plain_paragraphs(admin_client, client):
    response = admin_client.post(
        reverse("admin:accounts_legalpage_add"),
        {
            "slug": "imprint",
            "language": "",
            "title": "Legal notice",
            "body": "Staybook SAS, 1 rue Exemple, Paris.\n\nDirector: <script>alert(1)</script>",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("legal:page", kwargs={"slug": "imprint"})).content.decode()
    assert "<h1>Legal notice</h1>" in page and "<p>Staybook SAS, 1 rue Exemple, Paris.</p>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_the_page_in_the_visitors_language_else_the_default(rf):
    from accounts.views import legal_page

    LegalPage.objects.create(slug="terms", language="", title="Terms", body="The default terms.")
    LegalPage.objects.create(slug="terms", language="fr", title="Conditions", body="Les conditions.")
    with translation.override("fr"):
        assert "Les conditions." in legal_page(rf.get("/"), "terms").content.decode()
    with translation.override("de"):
        assert "The default terms." in legal_page(rf.get("/"), "terms").content.decode()


def test_the_privacy_page_says_how_long_guest_data_is_kept_until_one_is_written(client, settings):
    settings.GUEST_DATA_RETENTION_DAYS = 730
    page = client.get(reverse("legal:page", kwargs={"slug": "privacy"})).content.decode()
    assert "erased 730 days after check-out" in page
