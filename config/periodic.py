"""The periodic work of the site, created in django-celery-beat's tables by ``manage.py setup_periodic_tasks``
(idempotent, run by ``make run`` and on deploy). Times stay editable in the admin afterwards."""

# name → (task, every N seconds)
PERIODIC_TASKS = {
    "Release expired holds": ("bookings.tasks.release_expired_holds", 60),
    "Reconcile unknown payments with the bank": ("bookings.tasks.reconcile_payments", 120),
    "Reconcile unsettled refunds with the bank": ("bookings.tasks.reconcile_refunds", 120),
    "Run booking side effects that are due": ("bookings.tasks.sweep_effects", 60),
    "Audit the books": ("bookings.tasks.audit_books", 86400),
    "Send pre-arrival reminders": ("notifications.tasks.send_pre_arrival_reminders", 3600),
    "Forget idempotency keys older than 48 hours": ("partners.tasks.idempotency_records_purge", 3600),
    "Retry failed e-mails": ("notifications.tasks.retry_failed_emails", 600),
    "Refresh exchange rates for display": ("payments.tasks.exchange_rates_refresh", 86400),
    "Anonymise guest data past the retention period": ("accounts.tasks.anonymise_expired_guest_data", 86400),
}
