from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext, gettext_lazy


class TrialConfig(AppConfig):
    name = "trial"
    verbose_name = gettext_lazy("Trial NCT04837885")

    def ready(self) -> None:
        # Django imports an app's models after its AppConfig: what reads models waits for
        # ready().
        from trial import accounts, casebook, dbtypes, registry, roles, roles_report, schedule
        from trial.guards import install_guards_after_migrate
        from trial.ledger import install_ledger_after_migrate

        # After every migrate, every app's event tables exist: guard them all at once.
        post_migrate.connect(install_guards_after_migrate, sender=self)
        post_migrate.connect(install_ledger_after_migrate, sender=self)
        post_migrate.connect(roles.ensure_groups, sender=self)
        accounts.connect_signals()
        # The schedule's form and event labels, in the reader's language where shown.
        schedule.set_translator(gettext)
        casebook.register()
        # The accounts' administration is here: the archive reads its roles report.
        registry.ROLES_REPORT.provide(roles_report.for_scope)
        connection_created.connect(dbtypes.register, dispatch_uid="trial.dbtypes")
