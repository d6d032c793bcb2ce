# Import jobs now belong to the imports app (imports 0001 takes the model over in Django's
# state); the table stays, so nothing is dropped here.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('videos', '0003_importjob'),
        ('imports', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ImportJob')],
            database_operations=[],
        ),
    ]
