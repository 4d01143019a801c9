"""Read replicas: the read-only catalogue paths read from a streaming replica, everything else from the primary.

Only code that says so reads from a replica: a view decorated with :func:`reads_from_replica` (the results page,
the hotel page, the partner availability endpoint). Inside it, reads of the catalogue apps
(``DATABASE_REPLICA_APPS``: hotels, room types, nights, rate plans) go to one replica, chosen once per request;
every other model (users, sessions, partners and their keys, bookings, payments) and every write stays on the
primary, so a customer always reads back what they have just written, and a read inside a transaction sees that
transaction's writes. By default (no decorator, Celery tasks, management commands) everything is the primary.

A replica outage must not take search down: the replica is checked when a request first needs it (a connection,
or Django's ``CONN_HEALTH_CHECKS`` ping on a kept one); one that does not answer is skipped for
``DEAD_REPLICA_SECONDS`` and the request reads from the primary. A replica that fails in the middle of a request
is marked dead and the view runs again on the primary, so the customer sees a slower page, never an error.
"""

import functools
import random
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

DEAD_REPLICA_SECONDS = 5.0


@dataclass
class _ReplicaReads:
    alias: str | None = None  # the replica this request reads from, once chosen
    chosen: bool = False


_reads: ContextVar[_ReplicaReads | None] = ContextVar("staybook_replica_reads", default=None)
_dead_until: dict[str, float] = {}  # alias -> time.monotonic() before which the replica is not tried again


def replica_aliases() -> list[str]:
    """The replicas' ``DATABASES`` aliases (settings ``DATABASE_REPLICAS``, from ``DATABASE_REPLICA_URLS``)."""
    return list(getattr(settings, "DATABASE_REPLICAS", []))


def reads_from_replica(view):
    """Decorate a read-only view (a function or a method): its catalogue reads go to a replica when one answers.

    The view must not write: when the replica fails mid-request the view is called a second time, on the primary.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not replica_aliases():
            return view(*args, **kwargs)
        state = _ReplicaReads()
        token = _reads.set(state)
        try:
            return view(*args, **kwargs)
        except (OperationalError, InterfaceError):
            if state.alias is None:
                raise
            _mark_dead(state.alias)  # the replica broke mid-request: read this page again from the primary
        finally:
            _reads.reset(token)
        return view(*args, **kwargs)

    return wrapped


def _mark_dead(alias: str) -> None:
    _dead_until[alias] = time.monotonic() + DEAD_REPLICA_SECONDS
    try:
        connections[alias].close()
    except (OperationalError, InterfaceError):
        pass


def _usable(alias: str) -> bool:
    """Whether ``alias`` answers now: connects when not connected (bounded by its ``connect_timeout``), else
    pings a kept connection once per request (``CONN_HEALTH_CHECKS``); remembers a failure."""
    if _dead_until.get(alias, 0.0) > time.monotonic():
        return False
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except (OperationalError, InterfaceError):
        _mark_dead(alias)
        return False
    return True


def _choose_replica() -> str | None:
    aliases = replica_aliases()
    random.shuffle(aliases)
    return next((alias for alias in aliases if _usable(alias)), None)


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: see the module docstring. Returns None (the primary) unless a replica is meant."""

    def db_for_read(self, model, **hints):
        state = _reads.get()
        if state is None or model._meta.app_label not in settings.DATABASE_REPLICA_APPS:
            return None
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:  # read what this transaction wrote
            return None
        if not state.chosen:
            state.alias, state.chosen = _choose_replica(), True
        return state.alias

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # a replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db not in replica_aliases()  # replicas receive the primary's schema by streaming
