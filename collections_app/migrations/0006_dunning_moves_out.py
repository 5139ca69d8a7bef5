"""Dunning's models move to the ``dunning`` app: here they leave this app's state only; the
tables stay, and ``dunning/0001_initial`` takes them over (renames them, keeps every row)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('collections_app', '0005_default_dunning_policy'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
        migrations.RemoveField(
            model_name='dunningline',
            name='communication',
        ),
        migrations.RemoveField(
            model_name='invoicedunning',
            name='last_communication',
        ),
        migrations.RemoveField(
            model_name='dunninglevel',
            name='policy',
        ),
        migrations.RemoveField(
            model_name='dunningline',
            name='currency',
        ),
        migrations.RemoveField(
            model_name='dunningline',
            name='invoice',
        ),
        migrations.RemoveField(
            model_name='dunningprofile',
            name='policy',
        ),
        migrations.RemoveField(
            model_name='dunningprofile',
            name='customer',
        ),
        migrations.RemoveField(
            model_name='dunningrun',
            name='approved_by',
        ),
        migrations.RemoveField(
            model_name='dunningrun',
            name='created_by',
        ),
        migrations.RemoveField(
            model_name='dunningskip',
            name='run',
        ),
        migrations.RemoveField(
            model_name='dunningskip',
            name='customer',
        ),
        migrations.RemoveField(
            model_name='dunningskip',
            name='invoice',
        ),
        migrations.RemoveField(
            model_name='dunningtemplate',
            name='updated_by',
        ),
        migrations.RemoveField(
            model_name='invoicedunning',
            name='invoice',
        ),
        migrations.DeleteModel(
            name='DunningCommunication',
        ),
        migrations.DeleteModel(
            name='DunningLevel',
        ),
        migrations.DeleteModel(
            name='DunningLine',
        ),
        migrations.DeleteModel(
            name='DunningPolicy',
        ),
        migrations.DeleteModel(
            name='DunningProfile',
        ),
        migrations.DeleteModel(
            name='DunningRun',
        ),
        migrations.DeleteModel(
            name='DunningSkip',
        ),
        migrations.DeleteModel(
            name='DunningTemplate',
        ),
        migrations.DeleteModel(
            name='InvoiceDunning',
        ),
            ],
        ),
    ]
