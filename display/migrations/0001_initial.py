# ExchangeRate moves here from payments (display currency is presentation, not payments): the table stays
# payments_exchangerate, so only Django's idea of which app owns it changes.

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("payments", "0004_refunds_async")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExchangeRate",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("base", models.CharField(max_length=3)),
                        ("quote", models.CharField(max_length=3)),
                        ("rate", models.DecimalField(decimal_places=10, max_digits=20)),
                        ("as_of", models.DateField(help_text="The provider's date for the rate.")),
                        ("source", models.CharField(max_length=40)),
                        ("fetched_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "db_table": "payments_exchangerate",
                        "ordering": ["base", "quote"],
                        "constraints": [
                            models.UniqueConstraint(fields=("base", "quote"), name="exchangerate_pair_unique"),
                            models.CheckConstraint(condition=models.Q(("rate__gt", 0)), name="exchangerate_rate_positive"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
