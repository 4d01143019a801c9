"""The replica router's rules (config/db_router.py), on the test database: which reads may go to a replica, and the
fallback to the primary when a replica does not answer. tests/test_replicas.py runs the same with a real replica.

The tests commit (``transaction=True``): inside a transaction every read stays on the primary, by design."""

import pytest
from django.db import OperationalError, connections, transaction
from django.db.utils import load_backend

from accounts.models import User
from bookings.models import Booking
from config import db_router
from config.db_router import ReplicaRouter, reads_from_replica
from hotels.models import Hotel
from payments.sandbox_bank.testing import free_port
from tests.factories import future

router = ReplicaRouter()


@pytest.fixture
def replica_alias(settings):
    """Add a replica alias at run time (the real ones come from DATABASE_REPLICA_URLS when settings load). The
    connection is registered without a ``DATABASES`` entry, as Django's test case allows for connections made at
    run time, so ``connections[alias]`` finds it."""
    added = []

    def add(alias, **overrides):
        config = {**connections.settings["default"], **overrides}
        setattr(connections._connections, alias, load_backend(config["ENGINE"]).DatabaseWrapper(config, alias))
        settings.DATABASE_REPLICAS = [*settings.DATABASE_REPLICAS, alias]
        added.append(alias)
        return alias

    yield add
    for alias in added:
        connections[alias].close()
        delattr(connections._connections, alias)
        db_router._dead_until.pop(alias, None)


def _down(replica_alias, alias="replica_down"):
    """A replica nobody answers for: a loopback port with nothing listening."""
    options = {**connections.settings["default"]["OPTIONS"], "connect_timeout": 1}
    return replica_alias(alias, HOST="127.0.0.1", PORT=str(free_port()), OPTIONS=options)


@pytest.mark.django_db(transaction=True)
def test_only_catalogue_reads_of_marked_views_go_to_a_replica(replica_alias):
    alias = replica_alias("replica_same")  # the test database itself, through a second connection

    @reads_from_replica
    def view():
        reads = router.db_for_read(Hotel), router.db_for_read(Booking), router.db_for_read(User)
        with transaction.atomic():
            in_transaction = router.db_for_read(Hotel)
        return reads, router.db_for_write(Hotel), in_transaction

    assert view() == ((alias, None, None), None, None)
    assert router.db_for_read(Hotel) is None  # unmarked code: the primary
    assert not router.allow_migrate(alias, "hotels")


@pytest.mark.django_db(transaction=True)
def test_no_replica_configured_means_the_primary(settings):
    assert settings.DATABASE_REPLICAS == []
    assert reads_from_replica(lambda: router.db_for_read(Hotel))() is None


@pytest.mark.django_db(transaction=True)
def test_the_results_page_reads_from_the_primary_when_the_replica_is_down(client, replica_alias):
    alias = _down(replica_alias)
    query = {"destination": "Nowhere", "check_in": future(10), "check_out": future(12), "adults": 1, "rooms": 1}
    response = client.get("/search/", query)  # the form checks the city against the catalogue's cities
    assert response.status_code == 200
    assert "We have no hotels in that city yet" in response.content.decode()
    assert alias in db_router._dead_until


@pytest.mark.django_db(transaction=True)
def test_a_dead_replica_is_left_alone_for_a_few_seconds(replica_alias, monkeypatch):
    alias = _down(replica_alias)
    attempts = []
    connect = connections[alias].connect
    monkeypatch.setattr(connections[alias], "connect", lambda: attempts.append(1) or connect())
    read = reads_from_replica(lambda: router.db_for_read(Hotel))
    assert [read(), read(), read()] == [None, None, None]
    assert len(attempts) == 1
    db_router._dead_until[alias] = 0.0  # DEAD_REPLICA_SECONDS later
    assert read() is None
    assert len(attempts) == 2


@pytest.mark.django_db(transaction=True)
def test_a_replica_failing_mid_request_means_the_view_runs_again_on_the_primary(replica_alias):
    alias = replica_alias("replica_same")
    runs = []

    @reads_from_replica
    def view():
        runs.append(router.db_for_read(Hotel))
        if len(runs) == 1:
            Hotel.objects.count()  # read from the replica, which then breaks:
            raise OperationalError("server closed the connection unexpectedly")
        return Hotel.objects.count()

    assert view() == 0
    assert runs == [alias, None]
    assert alias in db_router._dead_until
