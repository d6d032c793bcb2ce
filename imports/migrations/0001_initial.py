# Import jobs move from the videos app to imports: the model changes app in Django's state
# only; its table (videos_importjob) and rows stay where they are.

import django.db.models.deletion
import core.uploads
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('videos', '0003_importjob'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ImportJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('kind', models.CharField(choices=[('stats', 'Daily video statistics'), ('sales', 'Sales list')], default='stats', max_length=8, verbose_name='kind')),
                        ('original_filename', models.CharField(max_length=255, verbose_name='original file name')),
                        ('file', models.FileField(max_length=400, upload_to=core.uploads.import_upload_to, verbose_name='stored file')),
                        ('mode', models.CharField(choices=[('auto', 'Detect'), ('daily', 'Daily numbers'), ('cumulative', 'Running totals')], default='auto', max_length=12, verbose_name='requested mode')),
                        ('detected_mode', models.CharField(blank=True, choices=[('auto', 'Detect'), ('daily', 'Daily numbers'), ('cumulative', 'Running totals')], help_text='Daily or running totals, as detected or forced.', max_length=12, verbose_name='mode used')),
                        ('dry_run', models.BooleanField(default=False, help_text='Check and preview only; write nothing.', verbose_name='dry run')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('validating', 'Validating'), ('running', 'Writing'), ('succeeded', 'Succeeded'), ('failed', 'Failed')], db_index=True, default='pending', max_length=12, verbose_name='status')),
                        ('rows_total', models.PositiveIntegerField(default=0, verbose_name='rows in the file')),
                        ('rows_done', models.PositiveIntegerField(default=0, verbose_name='rows checked')),
                        ('errors', models.JSONField(blank=True, default=list, help_text='[{row, column, message}, ...]', verbose_name='errors')),
                        ('error_count', models.PositiveIntegerField(default=0, help_text='All errors found, including those not listed.', verbose_name='error count')),
                        ('result', models.JSONField(blank=True, default=dict, help_text='Counts, column mapping and preview rows of the finished import.', verbose_name='result')),
                        ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started at')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='import_jobs', to=settings.AUTH_USER_MODEL)),
                        ('platform', models.ForeignKey(blank=True, help_text="Empty: taken from the file's platform column or its headers.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='videos.platform')),
                    ],
                    options={
                        'verbose_name': 'import job',
                        'verbose_name_plural': 'import jobs',
                        'ordering': ['-created_at'],
                        'db_table': 'videos_importjob',
                        'indexes': [models.Index(fields=['owner', '-created_at'], name='videos_impo_owner_i_e62ff4_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
