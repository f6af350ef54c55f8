"""``survey demo``: a fresh demo database with synthetic data, served on http://127.0.0.1:5000."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--clients", "n_clients", default=20000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="build the demo database and stop")
def demo_command(host, port, n_clients, no_serve):
    """Build a fresh demo database (20,000 synthetic clients, five waves) and serve it."""
    from survey import create_app, migrate
    from survey.commands.common import progress_bar
    from survey.config import default_data_dir
    from survey.db import get_engine, session_scope
    from survey.services.demo import data as demo_data

    data_dir = default_data_dir(os.environ)
    db_file = Path(data_dir) / "demo.sqlite"
    config = {"ENV_MODE": "demo", "DATA_DIR": str(data_dir), "DATABASE_URL": f"sqlite:///{db_file}",
              "PUBLIC_BASE_URL": f"http://{host}:{port}"}
    data_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    app = create_app(config)
    bar = progress_bar()
    with app.app_context():
        migrate.upgrade(get_engine())
        with session_scope() as session:
            result = demo_data.build(session, n_clients=n_clients, progress=bar)
    bar.close()
    base = f"http://{host}:{port}"
    click.echo(f"\nDemo database {db_file} built in {time.perf_counter() - t0:.1f} s "
               f"({result.clients} clients, four past waves, one wave in field).\n")
    click.echo(f"Open {base}/ and sign in as one of these (user / password):")
    for user, pw in result.passwords.items():
        click.echo(f"  {user:<14} {pw}")
    click.echo("\nA few open survey links from the wave in field (each works once):")
    for token in result.links:
        click.echo(f"  {base}/s/{token}")
    click.echo("")
    if no_serve:
        return
    from survey.serve import run

    run(lambda: create_app(config), host=host, port=port, workers=2)
