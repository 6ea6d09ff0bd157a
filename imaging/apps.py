from django.apps import AppConfig


class ImagingConfig(AppConfig):
    name = "imaging"

    def ready(self) -> None:
        # These modules read models, which Django imports after the AppConfig: here, once every
        # app is loaded. Importing crf registers this app's forms and the gate decision.
        from imaging import crf, demo, pdf_sections, selectors  # noqa: F401
        from trial import registry

        registry.register_demo(registry.DemoHooks("imaging", fill=demo.fill, finish=demo.finish))
        registry.register_pdf_section("imaging-1-gate", pdf_sections.gate_chart)
        registry.register_pdf_section("imaging-2-dosimetry", pdf_sections.time_activity_curves)
        registry.register_computed_table(
            registry.ComputedTable(
                "DOSI",
                "results",
                tuple(registry.ComputedColumn(*column) for column in selectors.RESULT_COLUMNS),
                selectors.result_rows,
            )
        )
