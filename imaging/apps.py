from django.apps import AppConfig


class ImagingConfig(AppConfig):
    name = "imaging"

    def ready(self) -> None:
        from imaging import crf, demo  # noqa: F401 - crf registers this app's forms
        from trial import registry

        registry.register_demo(registry.DemoHooks("imaging", fill=demo.fill, finish=demo.finish))
        from imaging import pdf_sections

        registry.register_pdf_section("imaging-1-gate", pdf_sections.gate_chart)
        registry.register_pdf_section("imaging-2-dosimetry", pdf_sections.time_activity_curves)
