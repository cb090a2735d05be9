from django.db import migrations

SEED_TEXT = "hello from django"


def seed(apps, schema_editor):
    Question = apps.get_model("polls", "Question")
    Question.objects.using(schema_editor.connection.alias).create(text=SEED_TEXT)


def unseed(apps, schema_editor):
    Question = apps.get_model("polls", "Question")
    Question.objects.using(schema_editor.connection.alias).filter(text=SEED_TEXT).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("polls", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
