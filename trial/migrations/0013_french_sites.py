from django.db import migrations

# The trial's French hospitals: their staff read the EDC in French unless they choose otherwise.
FRENCH_SITES = ("BDX", "TLS")


def french_sites(apps, schema_editor):
    import pghistory

    Site = apps.get_model("trial", "Site")
    with pghistory.context(command="migrate 0013_french_sites"):
        for site in Site.objects.filter(code__in=FRENCH_SITES).exclude(language="fr"):
            site.language = "fr"
            site.save(update_fields=["language"])


class Migration(migrations.Migration):
    dependencies = [("trial", "0012_languages")]

    operations = [migrations.RunPython(french_sites, migrations.RunPython.noop)]
