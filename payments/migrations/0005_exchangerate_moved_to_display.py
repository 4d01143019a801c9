# ExchangeRate now belongs to the display app (display/migrations/0001_initial.py); its table is unchanged.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("payments", "0004_refunds_async"), ("display", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ExchangeRate")],
            database_operations=[],
        ),
    ]
