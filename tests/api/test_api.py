"""The partner API through DRF's APIClient: keys, hotels, availability, bookings, isolation, throttling, Test
header, the partner_create command."""

import json
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from bookings.models import Booking
from hotels.models import Amenity, NightInventory, RoomType
from hotels.offers import hotels_offers
from hotels.stay import Stay
from partners.models import Partner, PartnerAPIKey
from partners.selectors import policy_data
from partners.services import partner_key_issue
from tests.api.conftest import body, book, client_for, run_together
from tests.factories import (
    ChildBandFactory,
    HotelFactory,
    RatePlanFactory,
    RoomTypeFactory,
    TaxFactory,
    future,
    open_nights,
    standard_plan,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]  # the books add up after every flow


def stay_query(**over):
    return {"city": "Paris", "check_in": future(10), "check_out": future(12), "adults": 2, **over}


# --- keys --------------------------------------------------------------------------------------------------------


def test_missing_bad_and_revoked_keys_are_401(partner, room):
    anonymous = APIClient()
    response = anonymous.get("/api/v1/hotels/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Api-Key"
    for header in ("Api-Key nope.nope", "Bearer abc", "Api-Key ", "Api-Key a\x00b.c", "Api-Key " + "x" * 5000):
        anonymous.credentials(HTTP_AUTHORIZATION=header)
        response = anonymous.get("/api/v1/hotels/")
        assert response.status_code == 401, header
        assert response.json()["error"]["code"] == "invalid_api_key"
    api = client_for(partner)
    assert api.get("/api/v1/hotels/").status_code == 200
    PartnerAPIKey.objects.update(revoked=True)
    assert api.get("/api/v1/hotels/").json()["error"]["code"] == "invalid_api_key"


def test_expired_keys_and_inactive_partners_are_refused(partner, room):
    api = client_for(partner)
    PartnerAPIKey.objects.update(expiry_date=timezone.now() - timedelta(minutes=1))
    assert api.get("/api/v1/hotels/").status_code == 401
    api = client_for(partner)
    Partner.objects.update(is_active=False)
    assert api.get("/api/v1/hotels/").status_code == 401


def test_keys_rotate_old_and_new_both_work_until_the_old_is_revoked(partner, room):
    old, new = client_for(partner), client_for(partner)
    assert old.get("/api/v1/hotels/").status_code == new.get("/api/v1/hotels/").status_code == 200
    PartnerAPIKey.objects.filter(pk=PartnerAPIKey.objects.order_by("created").first().pk).update(revoked=True)
    assert old.get("/api/v1/hotels/").status_code == 401 and new.get("/api/v1/hotels/").status_code == 200


def test_keys_are_stored_only_hashed(partner):
    key = partner_key_issue(partner=partner)
    stored = PartnerAPIKey.objects.get()
    assert key.split(".")[1] not in stored.hashed_key and key not in stored.id


def test_partner_create_command_prints_only_the_key(capsys, room):
    call_command("partner_create", "--name", "Cmd Agency", "--test", "--hotels", room.hotel.slug)
    out = capsys.readouterr().out.strip().splitlines()
    key = out[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get("/api/v1/hotels/").json()["count"] == 1
    call_command("partner_create", "--name", "Cmd Agency")
    assert Partner.objects.filter(name="Cmd Agency", is_test=True).count() == 1 and PartnerAPIKey.objects.count() == 2


# --- hotels and availability -------------------------------------------------------------------------------------


def test_hotels_are_filtered_and_detailed_with_room_types(api, room):
    HotelFactory(city="Lyon", name="Lyon Hotel")
    HotelFactory(city="Roma", country="Italy", name="Roma Hotel")
    assert api.get("/api/v1/hotels/").json()["count"] == 3
    assert [h["name"] for h in api.get("/api/v1/hotels/", {"city": "paris"}).json()["results"]] == ["Hôtel Lumière"]
    assert [h["name"] for h in api.get("/api/v1/hotels/", {"country": "Italy"}).json()["results"]] == ["Roma Hotel"]
    detail = api.get(f"/api/v1/hotels/{room.hotel_id}/").json()
    assert detail["check_in_time"] == "15:00" and [rt["id"] for rt in detail["room_types"]] == [room.pk]
    assert api.get("/api/v1/hotels/999999/").status_code == 404


def test_hotels_are_paginated(api):
    for i in range(23):
        HotelFactory(name=f"H{i:02}")
    page1, page2 = api.get("/api/v1/hotels/").json(), api.get("/api/v1/hotels/", {"page": 2}).json()
    assert (page1["count"], page1["pages"], len(page1["results"]), len(page2["results"])) == (23, 2, 20, 3)
    assert {h["id"] for h in page1["results"]}.isdisjoint(h["id"] for h in page2["results"])
    assert api.get("/api/v1/hotels/", {"page": 3}).json()["results"] == []
    assert api.get("/api/v1/hotels/", {"page": 0}).status_code == 400


def test_availability_lists_offers_with_the_exact_total(api, room):
    response = api.get("/api/v1/availability/", stay_query(city="paris"))
    assert response.status_code == 200, response.json()
    [result] = response.json()["results"]
    [offer] = result["offers"]
    assert result["hotel"]["name"] == "Hôtel Lumière"
    assert offer["room_type"]["id"] == room.pk and offer["room_type"]["name"] == room.name
    assert offer["total"] == "208.00" and offer["currency"] == "EUR" and offer["rooms_available"] == 2
    assert [n["unit_price"] for n in offer["nights"]] == ["100.00", "100.00"]
    assert offer["taxes"] == [{"name": "City tax", "amount": "8.00", "included": False}]
    assert offer["cancellation_policy"]["penalty"] and "Free cancellation" in offer["cancellation_policy"]["summary"]
    by_hotel = api.get("/api/v1/availability/", stay_query(city=None, hotel=room.hotel_id) | {"city": ""})
    assert by_hotel.status_code == 200 and by_hotel.json()["results"] == response.json()["results"]


def test_availability_price_is_what_booking_charges(api, room):
    offer = api.get("/api/v1/availability/", stay_query()).json()["results"][0]["offers"][0]
    booking = book(api, room, expected_total=offer["total"])
    assert booking.status_code == 201 and booking.json()["total"] == offer["total"]
    assert booking.json()["nights"] == offer["nights"] and booking.json()["taxes"] == offer["taxes"]


def test_availability_needs_a_place_and_a_valid_stay(api, room):
    for query in (
        stay_query(city=None) | {"city": ""},
        stay_query(check_in="2020-01-01", check_out="2020-01-03"),
        stay_query(check_out=future(9)),
        stay_query(check_in="tomorrow"),
        stay_query(adults=0),
        stay_query(rooms=3, adults=2),
    ):
        query = {k: v for k, v in query.items() if v != ""}
        response = api.get("/api/v1/availability/", query)
        assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error", query
    assert api.get("/api/v1/availability/", stay_query(city="Atlantis")).json()["results"] == []


def test_availability_queries_do_not_grow_with_hotels(api, django_assert_max_num_queries):
    for i in range(12):
        rt = RoomTypeFactory(hotel=HotelFactory(name=f"Paris {i:02}"))
        RoomTypeFactory(hotel=rt.hotel, name="Suite")
        TaxFactory(hotel=rt.hotel)
        open_nights(rt, future(10), 3)
        open_nights(rt.hotel.room_types.get(name="Suite"), future(10), 3)
    api.get("/api/v1/availability/", stay_query())  # warm the cities cache and the key lookup path
    # The key, the partner's hotel list, the search, the amenities, the room types with their plans and nights,
    # the taxes with the child bands.
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/availability/", stay_query())
    assert response.json()["count"] == 12 and all(len(r["offers"]) == 2 for r in response.json()["results"])


def test_availability_is_paginated(api):
    for i in range(21):
        open_nights(RoomTypeFactory(hotel=HotelFactory(name=f"P{i:02}")), future(10), 3)
    page1 = api.get("/api/v1/availability/", stay_query()).json()
    page2 = api.get("/api/v1/availability/", stay_query(page=2)).json()
    assert (page1["count"], page1["pages"], len(page1["results"]), len(page2["results"])) == (21, 2, 20, 1)


# --- bookings ------------------------------------------------------------------------------------------------------


def test_booking_is_confirmed_with_price_lines_and_policy(api, room):
    response = book(api, room, expected_total="208.00", partner_reference="AG-1")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "confirmed" and data["total"] == "208.00" and data["currency"] == "EUR"
    assert data["reference"].startswith("HB-") and data["partner_reference"] == "AG-1"
    assert (data["check_in"], data["check_out"], data["adults"]) == (future(10).isoformat(), future(12).isoformat(), 2)
    assert len(data["nights"]) == 2 and data["taxes"] and data["cancellation_policy"]["summary"]
    booking = Booking.objects.get()
    assert booking.source == Booking.Source.PARTNER and booking.partner.name == "Agency One"
    assert set(NightInventory.objects.filter(room_type=room, date__lt=future(12)).values_list("rooms_sold", flat=True))
    assert api.get(f"/api/v1/bookings/{data['reference']}/").json() == data


def test_price_changed_books_nothing_and_gives_the_current_total(api, room):
    response = book(api, room, expected_total="150.00")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "price_changed" and error["total"] == "208.00" and error["currency"] == "EUR"
    assert not Booking.objects.exists()
    assert set(NightInventory.objects.filter(room_type=room).values_list("rooms_sold", flat=True)) == {0}


@pytest.mark.other_sales
def test_sold_out(api, room):
    NightInventory.objects.filter(room_type=room, date=future(11)).update(rooms_sold=2)
    response = book(api, room)
    assert response.status_code == 409 and response.json()["error"]["code"] == "sold_out"
    assert not Booking.objects.exists()


def test_a_stay_the_room_cannot_host_is_422(api, room):
    response = book(api, room, adults=3)  # the room sleeps two adults
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_stay"
    assert not Booking.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_partners_race_for_the_last_room(room):
    NightInventory.objects.filter(room_type=room).update(rooms_for_sale=1)
    keys = [partner_key_issue(partner=Partner.objects.create(name=f"P{i}")) for i in range(4)]

    def attempt(key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        response = client.post("/api/v1/bookings/", body(room), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        return response.status_code, response.json().get("error", {}).get("code")

    results = run_together([lambda k=k: attempt(k) for k in keys])
    assert sorted(results, key=str) == [(201, None)] + [(409, "sold_out")] * 3
    assert Booking.objects.count() == 1


def test_cancel_applies_the_policy_and_twice_is_the_same(api, room):
    reference = book(api, room).json()["reference"]
    first = api.post(f"/api/v1/bookings/{reference}/cancel/")
    assert first.status_code == 200 and first.json()["status"] == "cancelled"
    assert first.json()["cancellation_penalty"] == "0.00" and first.json()["cancelled_at"]
    second = api.post(f"/api/v1/bookings/{reference}/cancel/")
    assert second.status_code == 200 and second.json() == first.json()
    assert set(NightInventory.objects.filter(room_type=room).values_list("rooms_sold", flat=True)) == {0}


def test_cancel_inside_the_penalty_window_keeps_the_penalty(api):
    rt = RoomTypeFactory(plan__free_cancellation_days=None)  # non-refundable
    open_nights(rt, future(10), 3)
    reference = book(api, rt).json()["reference"]
    response = api.post(f"/api/v1/bookings/{reference}/cancel/")
    assert response.status_code == 200 and response.json()["cancellation_penalty"] == response.json()["total"]


def test_partners_are_isolated(api, room):
    reference = book(api, room).json()["reference"]
    other = client_for(Partner.objects.create(name="Agency Two"))
    for response in (other.get(f"/api/v1/bookings/{reference}/"), other.post(f"/api/v1/bookings/{reference}/cancel/")):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert Booking.objects.get().status == Booking.Status.CONFIRMED
    assert other.get("/api/v1/bookings/").json()["count"] == 0
    assert api.get("/api/v1/bookings/").json()["count"] == 1
    for reference in ("HB-ZZZZZZ", "nope", "HB-" + "A" * 40, "%00"):
        assert api.get(f"/api/v1/bookings/{reference}/").status_code == 404


def test_a_partner_limited_to_some_hotels_sees_and_sells_only_those(room):
    elsewhere = RoomTypeFactory(hotel=HotelFactory(city="Paris", name="Not yours"))
    open_nights(elsewhere, future(10), 5)
    limited = Partner.objects.create(name="Limited")
    limited.hotels.set([room.hotel])
    api = client_for(limited)
    assert [h["name"] for h in api.get("/api/v1/hotels/").json()["results"]] == ["Hôtel Lumière"]
    assert api.get(f"/api/v1/hotels/{elsewhere.hotel_id}/").status_code == 404
    offers = api.get("/api/v1/availability/", stay_query()).json()["results"]
    assert [r["hotel"]["name"] for r in offers] == ["Hôtel Lumière"]
    assert api.get("/api/v1/availability/", stay_query(hotel=elsewhere.hotel_id)).json()["results"] == []
    refused = book(api, elsewhere)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "room_type_not_found"
    assert book(api, room).status_code == 201


def test_bookings_list_is_paginated_and_filtered(api, room):
    open_nights(room, future(15), 40, rooms=50)
    for day in range(23):
        assert book(api, room, check_in=str(future(20 + day % 3)), check_out=str(future(21 + day % 3)), adults=1)
    page1 = api.get("/api/v1/bookings/").json()
    page2 = api.get("/api/v1/bookings/", {"page": 2}).json()
    assert (page1["count"], page1["pages"], len(page1["results"]), len(page2["results"])) == (23, 2, 20, 3)
    assert api.get("/api/v1/bookings/", {"status": "confirmed"}).json()["count"] == 23
    assert api.get("/api/v1/bookings/", {"status": "cancelled"}).json()["count"] == 0
    in_window = {"check_in_from": future(21), "check_in_to": future(21)}
    assert api.get("/api/v1/bookings/", in_window).json()["count"] == 8
    today, yesterday = timezone.now().date(), timezone.now().date() - timedelta(days=1)
    assert api.get("/api/v1/bookings/", {"created_from": today, "created_to": today}).json()["count"] == 23
    assert api.get("/api/v1/bookings/", {"created_to": yesterday}).json()["count"] == 0
    for bad in ({"status": "nonsense"}, {"check_in_from": "31/12/2026"}, {"page": "x"}, {"surprise": 1}):
        assert api.get("/api/v1/bookings/", bad).status_code == 400, bad


# --- throttling and the Test header ---------------------------------------------------------------------------


def test_throttling_per_partner(settings, api, room):
    cache.clear()
    settings.PARTNER_API_THROTTLE_RATE = "3/min"
    statuses = [api.get("/api/v1/hotels/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    last = api.get("/api/v1/hotels/")
    assert 0 < int(last["Retry-After"]) <= 60 and last.json()["error"]["code"] == "throttled"
    other = client_for(Partner.objects.create(name="Unthrottled"))
    assert other.get("/api/v1/hotels/").status_code == 200
    cache.clear()


def test_test_header_simulates_without_touching_inventory(room):
    api = client_for(Partner.objects.create(name="Sandbox", is_test=True))
    for outcome, status in (("sold_out", 409), ("price_changed", 409), ("service_unavailable", 503)):
        response = api.post(
            "/api/v1/bookings/", body(room), format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), HTTP_TEST=outcome
        )
        assert response.status_code == status and response.json()["error"]["code"] == outcome
        assert set(response.json()["error"]) >= {"code", "message", "fields"}
    changed = api.post(
        "/api/v1/bookings/", body(room), format="json", HTTP_IDEMPOTENCY_KEY="k", HTTP_TEST="price_changed"
    ).json()["error"]
    assert changed["total"] == "208.00" and changed["currency"] == "EUR"
    assert not Booking.objects.exists()
    assert set(NightInventory.objects.filter(room_type=room).values_list("rooms_sold", flat=True)) == {0}
    unavailable = api.get("/api/v1/availability/", stay_query(), HTTP_TEST="service_unavailable")
    assert unavailable.status_code == 503 and int(unavailable["Retry-After"]) > 0
    sold_out = api.get("/api/v1/availability/", stay_query(), HTTP_TEST="sold_out")
    assert sold_out.status_code == 200 and sold_out.json()["results"] == [] and sold_out.json()["count"] == 0
    normal = api.get("/api/v1/availability/", stay_query(), HTTP_TEST="price_changed")
    assert normal.status_code == 200 and normal.json()["count"] == 1
    unknown = api.get("/api/v1/availability/", stay_query(), HTTP_TEST="meteor")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "invalid_test_header"
    assert book(api, room).status_code == 201  # without the header a test partner books for real


def test_the_test_header_is_refused_to_real_partners(api, room):
    refused = api.post("/api/v1/bookings/", body(room), format="json", HTTP_IDEMPOTENCY_KEY="x", HTTP_TEST="sold_out")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "test_header_not_allowed"
    assert api.get("/api/v1/availability/", stay_query(), HTTP_TEST="sold_out").status_code == 400
    assert not Booking.objects.exists()


def test_staff_issue_a_key_in_the_admin_see_it_once_and_revoke_it(client, partner, room):
    from django.conf import settings

    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/{settings.ADMIN_URL}partners/partnerapikey/"
    response = client.post(f"{url}add/", {"name": "Rotation 2026", "partner": partner.pk}, follow=True)
    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"] if "store it somewhere safe" in str(m)]
    key = re.search(r"is: (\S+)\. ", message).group(1)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.get("/api/v1/hotels/").status_code == 200
    stored = PartnerAPIKey.objects.get()
    assert key.encode() not in client.get(f"{url}{stored.pk}/change/").content
    client.post(f"{url}{stored.pk}/change/", {"name": stored.name, "partner": partner.pk, "revoked": "on"})
    assert api.get("/api/v1/hotels/").status_code == 401
    assert client.get(f"/{settings.ADMIN_URL}rest_framework_api_key/apikey/").status_code == 404


def test_availability_writes_hotels_and_room_types_as_their_serializers_do(partner, room):
    """The availability endpoint builds plain dicts (``hotel_data``, ``room_type_data``) for speed; the schema is
    the serializers', so both must write the same."""
    from partners.api import serializers as s

    hotel = room.hotel
    hotel.latitude, hotel.longitude = Decimal("48.8566"), None
    hotel.save()
    hotel.amenities.add(
        Amenity.objects.create(code="wifi", name="Free Wi-Fi"), Amenity.objects.create(code="bar", name="Bar")
    )
    room.size_m2 = None
    room.save()
    offer = client_for(partner).get("/api/v1/availability/", stay_query()).json()["results"][0]
    hotel.refresh_from_db()
    assert offer["hotel"] == s.HotelSerializer(hotel).data
    assert offer["offers"][0]["room_type"] == s.RoomTypeSerializer(room).data


@pytest.mark.parametrize("language", ["en", "fr"])
def test_availability_offers_are_what_the_offer_serializer_writes_of_the_booking_paths_offers(partner, room, language):
    """The answer is written from plain rows (``hotels.offer_rows``, ``partners/api/availability.py``); each offer
    must be what ``OfferSerializer`` (the schema) writes of the same offer priced by the booking path
    (``hotels_offers``, ``stay_quote``), in the same order and in the reader's language: derived plans, a meals
    adjustment and its VAT, children, extra adults, several rooms, a staff-only plan left out."""
    from partners.api import serializers as s

    hotel = room.hotel
    RoomType.objects.filter(pk=room.pk).update(
        extra_adult_price=Decimal("30.00"), name_fr="Chambre double", max_adults=3, max_occupancy=4
    )
    ChildBandFactory(hotel=hotel, min_age=0, max_age=11, price=Decimal("12.50"))
    TaxFactory(hotel=hotel, name="Meals VAT", kind="percent", amount=Decimal("5.5"), component="meals")
    flexible = standard_plan(room)
    RatePlanFactory(
        room_type=room,
        name="Non-refundable",
        name_fr="Non remboursable",
        parent=flexible,
        derivation="percent",
        derivation_value=Decimal("-12.5"),
        free_cancellation_days=None,
    )
    RatePlanFactory(
        room_type=room,
        name="Breakfast",
        parent=flexible,
        derivation="amount",
        derivation_value=Decimal("24"),
        adjustment_component="meals",
        payment_terms="deposit",
        deposit="first_night",
    )
    RatePlanFactory(room_type=room, name="Desk only", payment_terms="at_hotel")
    query = stay_query(adults=5, children=2, children_ages="5,14", rooms=2)
    response = client_for(partner).get("/api/v1/availability/", query, HTTP_ACCEPT_LANGUAGE=language)
    stay = Stay(check_in=future(10), check_out=future(12), adults=5, children=2, children_ages=(5, 14), rooms=2)
    with translation.override(language):
        offers = hotels_offers(hotel_ids=[hotel.pk], stay=stay, with_amenities=False)[hotel.pk]
        expected = [
            s.OfferSerializer(
                SimpleNamespace(
                    room_type=o.room_type,
                    rate_plan=o.rate_plan,
                    rooms_available=o.rooms_available,
                    currency=o.quote.currency,
                    nights=o.quote.nights,
                    adjustments=o.quote.adjustments,
                    extras=o.quote.extras,
                    taxes=o.quote.taxes,
                    total=o.quote.total,
                    cancellation_policy=policy_data(o.policy),
                    payment_terms=o.payment_terms,
                )
            ).data
            for o in offers
            if o.rate_plan.payment_terms != "at_hotel"
        ]
    assert len(expected) == 3 and {o["rate_plan"]["name"] for o in expected} >= {"Breakfast"}
    assert response.json()["results"][0]["offers"] == json.loads(JSONRenderer().render(expected))


def test_the_same_availability_question_is_answered_from_the_cache_per_partner(
    api, partner, room, django_assert_num_queries
):
    elsewhere = RoomTypeFactory(hotel=HotelFactory(city="Paris", name="Not yours"))
    open_nights(elsewhere, future(10), 5)
    first = api.get("/api/v1/availability/", stay_query())
    assert {h["hotel"]["name"] for h in first.json()["results"]} == {"Hôtel Lumière", "Not yours"}
    with django_assert_num_queries(1):  # the API key; no search
        again = api.get("/api/v1/availability/", stay_query())
    assert again.content == first.content and again["Content-Type"] == "application/json"
    limited = Partner.objects.create(name="Limited")
    limited.hotels.set([room.hotel])
    mine = client_for(limited).get("/api/v1/availability/", stay_query()).json()["results"]
    assert [h["hotel"]["name"] for h in mine] == ["Hôtel Lumière"]  # never another partner's answer


def test_cached_availability_follows_a_tax_change_at_once(api, room):
    assert api.get("/api/v1/availability/", stay_query()).json()["results"][0]["offers"][0]["total"] == "208.00"
    TaxFactory(hotel=room.hotel, amount=Decimal("1.00"))
    assert api.get("/api/v1/availability/", stay_query()).json()["results"][0]["offers"][0]["total"] == "212.00"
