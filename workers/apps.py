from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = "Pipeline workers"

    def ready(self) -> None:
        from celery import signals

        from analysis.services.lifecycle import finalize_requested, reasoning_ready, run_finished

        # `tasks` registers the tasks that others enqueue by name (eager mode too).
        from . import broker_reconnect, liveness, tasks  # noqa: F401

        # analysis/ asks for finalize and announces finished runs through signals; only workers/ knows
        # how to dispatch finalize and what follows a finished run (the one `run_finished` path).
        finalize_requested.connect(_on_finalize_requested, dispatch_uid="workers.finalize")
        run_finished.connect(_on_run_finished, dispatch_uid="workers.run_finished")
        reasoning_ready.connect(_on_reasoning_ready, dispatch_uid="workers.reasoning_ready")
        signals.before_task_publish.connect(liveness.on_publish, dispatch_uid="workers.liveness.publish")
        signals.task_received.connect(liveness.on_received, dispatch_uid="workers.liveness.received")
        signals.worker_init.connect(broker_reconnect.on_worker_init, dispatch_uid="workers.broker_reconnect")
        signals.worker_ready.connect(liveness.on_worker_ready, dispatch_uid="workers.liveness.ready")
        signals.worker_shutdown.connect(liveness.on_worker_shutdown, dispatch_uid="workers.liveness.shutdown")


def _on_finalize_requested(sender, run_id: int, **kwargs) -> None:
    from .pipeline import dispatch_finalize

    dispatch_finalize(run_id)


def _on_reasoning_ready(sender, run_id: int, domains: list[str], **kwargs) -> None:
    from .pipeline import dispatch_reasoning

    dispatch_reasoning(run_id, domains)


def _on_run_finished(sender, run_id: int, **kwargs) -> None:
    from .notify import after_run_finished

    after_run_finished(run_id)
