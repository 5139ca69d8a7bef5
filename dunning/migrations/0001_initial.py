"""The dunning tables, created by ``collections_app/0004_dunning`` while dunning was a package
of that app, come here: the state is created without touching the database, the tables are
renamed (every row kept), and the content types follow so that the role groups keep their
dunning permissions."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


TABLES = [
    "dunningtemplate",
    "dunningpolicy",
    "dunninglevel",
    "dunningprofile",
    "dunningrun",
    "dunningcommunication",
    "dunningline",
    "dunningskip",
    "invoicedunning",
]


def _rename(old_prefix, new_prefix):
    return ";\n".join(f"ALTER TABLE {old_prefix}_{t} RENAME TO {new_prefix}_{t}" for t in TABLES)


def _content_types(apps, schema_editor, old="collections_app", new="dunning"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label=old, model__in=TABLES).update(app_label=new)


def _content_types_back(apps, schema_editor):
    _content_types(apps, schema_editor, old="dunning", new="collections_app")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0003_customer_billing_address'),
        ('collections_app', '0006_dunning_moves_out'),
        ('invoices', '0004_invoice_movement_dates'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    _rename("collections_app", "dunning"),
                    reverse_sql=_rename("dunning", "collections_app"),
                ),
            ],
            state_operations=[
        migrations.CreateModel(
            name='DunningPolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=80, unique=True)),
                ('is_default', models.BooleanField(default=False)),
            ],
            options={
                'verbose_name_plural': 'dunning policies',
                'ordering': ['name'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('is_default',), name='one_default_policy')],
            },
        ),
        migrations.CreateModel(
            name='DunningLevel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveSmallIntegerField()),
                ('name', models.CharField(max_length=80)),
                ('days_past_due', models.PositiveSmallIntegerField()),
                ('channel', models.CharField(choices=[('email', 'E-mail'), ('letter', 'Letter'), ('call_task', 'Call task for the collector')], max_length=10)),
                ('template_code', models.SlugField(max_length=40)),
                ('minimum_overdue_amount', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                ('minimum_days_since_previous', models.PositiveSmallIntegerField(default=0)),
                ('escalation_action', models.CharField(choices=[('none', 'None'), ('credit_hold', 'Put on credit hold'), ('agency', 'Mark for agency placement'), ('notify_manager', 'Notify the credit manager')], default='none', max_length=20)),
                ('policy', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='levels', to='dunning.dunningpolicy')),
            ],
            options={
                'ordering': ['policy', 'number'],
            },
        ),
        migrations.CreateModel(
            name='DunningProfile',
            fields=[
                ('customer', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='dunning', serialize=False, to='accounts.customer')),
                ('language', models.CharField(default='en', max_length=10)),
                ('stop_reason', models.CharField(blank=True, max_length=200)),
                ('stop_until', models.DateField(blank=True, null=True)),
                ('policy', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='dunning.dunningpolicy')),
            ],
        ),
        migrations.CreateModel(
            name='DunningRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('as_of', models.DateField()),
                ('trigger', models.CharField(choices=[('nightly', 'Nightly'), ('manual', 'Started by hand')], max_length=10)),
                ('status', models.CharField(choices=[('preview', 'Preview — awaiting approval'), ('sending', 'Sending'), ('done', 'Done'), ('cancelled', 'Cancelled')], default='preview', max_length=10)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('approved_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('print_file', models.FileField(blank=True, upload_to='dunning/print/')),
                ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'permissions': [('approve_dunningrun', 'Approve a dunning run so that it sends')],
            },
        ),
        migrations.CreateModel(
            name='DunningCommunication',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=60, unique=True)),
                ('channel', models.CharField(choices=[('email', 'E-mail'), ('letter', 'Letter'), ('call_task', 'Call task for the collector')], max_length=10)),
                ('to_address', models.CharField(blank=True, max_length=254)),
                ('language', models.CharField(default='en', max_length=10)),
                ('status', models.CharField(choices=[('planned', 'Planned'), ('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed — in the retry queue'), ('cancelled', 'Cancelled')], default='planned', max_length=10)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('last_error', models.TextField(blank=True)),
                ('document', models.FileField(blank=True, upload_to='dunning/documents/')),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('activity', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='collections_app.activity')),
                ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='accounts.contact')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.customer')),
                ('level', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='dunning.dunninglevel')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='communications', to='dunning.dunningrun')),
            ],
            options={
                'ordering': ['run', 'customer__name', 'id'],
            },
        ),
        migrations.CreateModel(
            name='DunningSkip',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.CharField(choices=[('disputed', 'Invoice in dispute'), ('promise', 'Active promise to pay'), ('payment_plan', 'Active payment plan'), ('customer_stop', 'Dunning stop on the customer'), ('invoice_stop', 'Dunning stop on the invoice'), ('do_not_contact', 'Do not contact'), ('below_minimum', "Overdue below the level's minimum"), ('no_address', 'No contact address for the channel'), ('too_soon', 'Too soon since the previous level'), ('no_rate', 'No exchange rate to compare with the minimum'), ('in_other_run', 'In another run not yet finished')], max_length=20)),
                ('detail', models.CharField(blank=True, max_length=300)),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.customer')),
                ('invoice', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='invoices.invoice')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='skips', to='dunning.dunningrun')),
            ],
            options={
                'ordering': ['run', 'customer_id', 'invoice_id'],
            },
        ),
        migrations.CreateModel(
            name='DunningTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=40)),
                ('language', models.CharField(default='en', max_length=10)),
                ('name', models.CharField(max_length=120)),
                ('subject', models.CharField(max_length=200)),
                ('body', models.TextField(help_text='HTML body of the letter / e-mail')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['code', 'language'],
            },
        ),
        migrations.CreateModel(
            name='InvoiceDunning',
            fields=[
                ('invoice', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='dunning', serialize=False, to='invoices.invoice')),
                ('level_number', models.PositiveSmallIntegerField(default=0)),
                ('last_dunned_on', models.DateField(blank=True, null=True)),
                ('stop_reason', models.CharField(blank=True, max_length=200)),
                ('stop_until', models.DateField(blank=True, null=True)),
                ('last_communication', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='dunning.dunningcommunication')),
            ],
        ),
        migrations.CreateModel(
            name='DunningLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('open_amount', models.DecimalField(decimal_places=2, max_digits=18)),
                ('days_past_due', models.IntegerField()),
                ('level_number', models.PositiveSmallIntegerField()),
                ('previous_level_number', models.PositiveSmallIntegerField()),
                ('communication', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='dunning.dunningcommunication')),
                ('currency', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.currency')),
                ('invoice', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='invoices.invoice')),
            ],
            options={
                'ordering': ['communication', 'currency', 'invoice__due_date', 'invoice_id'],
                'constraints': [models.UniqueConstraint(fields=('communication', 'invoice'), name='dunning_line_once'), models.CheckConstraint(condition=models.Q(('open_amount__gt', 0)), name='dunning_line_open'), models.CheckConstraint(condition=models.Q(('level_number__gte', models.F('previous_level_number'))), name='dunning_line_level_never_drops')],
            },
        ),
        migrations.AddConstraint(
            model_name='dunninglevel',
            constraint=models.UniqueConstraint(fields=('policy', 'number'), name='dunning_level_number'),
        ),
        migrations.AddConstraint(
            model_name='dunninglevel',
            constraint=models.UniqueConstraint(fields=('policy', 'days_past_due'), name='dunning_level_days'),
        ),
        migrations.AddConstraint(
            model_name='dunninglevel',
            constraint=models.CheckConstraint(condition=models.Q(('number__gte', 1)), name='dunning_level_from_one'),
        ),
        migrations.AddConstraint(
            model_name='dunninglevel',
            constraint=models.CheckConstraint(condition=models.Q(('days_past_due__gte', 1)), name='dunning_level_after_due'),
        ),
        migrations.AddConstraint(
            model_name='dunninglevel',
            constraint=models.CheckConstraint(condition=models.Q(('minimum_overdue_amount__gte', 0)), name='dunning_level_minimum_positive'),
        ),
        migrations.AddConstraint(
            model_name='dunningprofile',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('stop_reason', ''), ('stop_until__isnull', True)), models.Q(('stop_until__isnull', False), models.Q(('stop_reason', ''), _negated=True)), _connector='OR'), name='dunning_stop_has_reason_and_end'),
        ),
        migrations.AddConstraint(
            model_name='dunningrun',
            constraint=models.UniqueConstraint(condition=models.Q(('trigger', 'nightly')), fields=('as_of',), name='one_nightly_run_per_day'),
        ),
        migrations.AddConstraint(
            model_name='dunningrun',
            constraint=models.CheckConstraint(condition=models.Q(('status', 'preview'), ('status', 'cancelled'), ('approved_at__isnull', False), _connector='OR'), name='dunning_run_sent_only_when_approved'),
        ),
        migrations.AddIndex(
            model_name='dunningcommunication',
            index=models.Index(fields=['run', 'status'], name='dunning_comm_progress'),
        ),
        migrations.AddConstraint(
            model_name='dunningcommunication',
            constraint=models.UniqueConstraint(fields=('run', 'customer'), name='one_communication_per_run'),
        ),
        migrations.AddConstraint(
            model_name='dunningcommunication',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'sent'), _negated=True), ('sent_at__isnull', False), _connector='OR'), name='dunning_sent_has_time'),
        ),
        migrations.AddIndex(
            model_name='dunningskip',
            index=models.Index(fields=['run', 'reason'], name='dunning_skip_reason'),
        ),
        migrations.AddConstraint(
            model_name='dunningtemplate',
            constraint=models.UniqueConstraint(fields=('code', 'language'), name='dunning_template_unique'),
        ),
        migrations.AddConstraint(
            model_name='invoicedunning',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('stop_reason', ''), ('stop_until__isnull', True)), models.Q(('stop_until__isnull', False), models.Q(('stop_reason', ''), _negated=True)), _connector='OR'), name='invoice_dunning_stop_has_reason_and_end'),
        ),
        migrations.AddConstraint(
            model_name='invoicedunning',
            constraint=models.CheckConstraint(condition=models.Q(('level_number', 0), ('last_dunned_on__isnull', False), _connector='OR'), name='invoice_dunning_level_has_date'),
        ),
            ],
        ),
        migrations.RunPython(_content_types, _content_types_back),
    ]
