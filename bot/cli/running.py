"""Running the product: everything at once (`run`), or each process alone (web server, worker, scheduler,
DingTalk Stream), and the schema migration."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import err, out, settings_or_exit


def run(
    demo: Annotated[bool, typer.Option(help="Load the demo organisation and roster (idempotent).")] = False,
    sim: Annotated[
        bool | None,
        typer.Option(
            "--sim/--no-sim", help="Serve the WeCom simulator (default: on unless WeCom sending is configured)."
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int | None, typer.Option(help="Number of RQ worker processes.")] = None,
) -> None:
    """Everything in one go: migrate, make sure Redis runs, then web server + workers + scheduler.

    Ctrl-C stops all of them. This is what `make run` calls.
    """
    from bot.runner import run_all

    raise typer.Exit(run_all(demo=demo, sim=sim, host=host, port=port, workers=workers))


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (CADREBOT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (CADREBOT_PORT).")] = None,
) -> None:
    """The web server alone: webhooks, /healthz, /metrics (and /sim when CADREBOT_SIM=1)."""
    import uvicorn

    settings = settings_or_exit()
    uvicorn.run(
        "bot.app:app_from_env",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


def worker(
    burst: Annotated[bool, typer.Option(help="Quit when the queues are empty.")] = False,
    name: Annotated[str | None, typer.Option(help="Worker name (default: host and pid).")] = None,
) -> None:
    """An RQ worker for the inbound, outbound and background queues."""
    from bot.logs import setup_logging
    from bot.worker import run_worker

    settings = settings_or_exit()
    setup_logging(settings.log_level, settings.log_format)
    run_worker(settings, burst=burst, name=name)


def scheduler() -> None:
    """The periodic jobs (outbox sweeps; reminders and escalations as they arrive)."""
    from bot.logs import setup_logging
    from scheduler.cron import run as run_scheduler

    settings = settings_or_exit()
    setup_logging(settings.log_level, settings.log_format)
    run_scheduler(settings)


def dingtalk_stream() -> None:
    """Receive DingTalk robot messages and card taps over Stream mode (an outbound WebSocket; no public
    address needed). Runs in the foreground until Ctrl-C / SIGTERM; workers handle what it queues."""
    from bot.logs import setup_logging
    from bot.platforms.dingtalk.stream import run_stream

    settings = settings_or_exit()
    missing = [
        name
        for name, value in (
            ("CADREBOT_DINGTALK_CLIENT_ID", settings.dingtalk_client_id),
            ("CADREBOT_DINGTALK_CLIENT_SECRET", settings.dingtalk_client_secret),
        )
        if not value
    ]
    if missing:
        err.print(
            f"钉钉 Stream 模式需要应用凭证 (DingTalk Stream mode needs the app's AppKey/AppSecret)：请设置 {'、'.join(missing)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    setup_logging(settings.log_level, settings.log_format)
    run_stream(settings)


def migrate() -> None:
    """Bring the database schema up to date (Alembic)."""
    from bot.store.migrate import upgrade

    settings = settings_or_exit()
    upgrade(settings.database_url)
    out.print("数据库已是最新结构 (database schema up to date)")
