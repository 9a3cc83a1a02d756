from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = "Pipeline workers"

    def ready(self) -> None:
        # analysis/ asks for finalize through a signal; only workers/ knows how to dispatch it.
        from analysis.services.steps import finalize_requested

        finalize_requested.connect(_on_finalize_requested, dispatch_uid="workers.finalize")
        from analysis.services.finalize import run_finished

        run_finished.connect(_on_run_finished, dispatch_uid="workers.run_finished")


def _on_finalize_requested(sender, run_id: int, **kwargs) -> None:
    from .pipeline import dispatch_finalize

    dispatch_finalize(run_id)


def _on_run_finished(sender, run_id: int, **kwargs) -> None:
    from .notify import after_run_finished

    after_run_finished(run_id)
