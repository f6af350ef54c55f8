"""``survey demo``: a fresh demo database with synthetic data, served on http://127.0.0.1:5000.

The demo lives in the data folder (``SURVEY_DATA_DIR``, default ``./survey-data``): its database
is ``demo.sqlite`` there, and it writes the folder's ``config.py`` (demo mode, that database, the
address of its links), so every other command and ``survey serve`` run with the same
``SURVEY_DATA_DIR`` work on the demo.  A ``config.py`` the demo did not write is never replaced.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

MARKER = "# written by `survey demo`"


def write_demo_config(data_dir: Path, db_file: Path, base_url: str) -> Path:
    """Point the data folder's instance config at the demo database; refuse to replace someone else's."""
    from survey.config import INSTANCE_CONFIG

    path = data_dir / INSTANCE_CONFIG
    if path.exists() and not path.read_text(encoding="utf-8").startswith(MARKER):
        raise click.ClickException(f"{path} holds an instance configuration the demo did not write; "
                                   "run the demo with another SURVEY_DATA_DIR")
    path.write_text(
        f"{MARKER}: this data folder holds the demo. Delete this file to use the folder's own settings.\n"
        f'ENV_MODE = "demo"\nDATABASE_URL = {f"sqlite:///{db_file}"!r}\nPUBLIC_BASE_URL = {base_url!r}\n',
        encoding="utf-8")
    return path


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--clients", "n_clients", default=20000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="build the demo database and stop")
def demo_command(host, port, n_clients, no_serve):
    """Build a fresh demo database (20,000 synthetic clients, five waves) in the data folder and serve it."""
    from survey import create_app, migrate
    from survey.commands.common import progress_bar
    from survey.config import default_data_dir
    from survey.db import get_engine, session_scope
    from survey.services.demo import data as demo_data

    if os.environ.get("SURVEY_DATABASE_URL"):
        raise click.ClickException("SURVEY_DATABASE_URL is set, so the other commands would not use the demo "
                                   "database: unset it to run the demo")
    data_dir = default_data_dir(os.environ)
    db_file = data_dir / "demo.sqlite"
    base = f"http://{host}:{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    config_file = write_demo_config(data_dir, db_file, base)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    app = create_app()
    bar = progress_bar()
    with app.app_context():
        migrate.upgrade(get_engine())
        with session_scope() as session:
            result = demo_data.build(session, n_clients=n_clients, progress=bar)
    bar.close()
    click.echo(f"\nDemo database {db_file} built in {time.perf_counter() - t0:.1f} s "
               f"({result.clients} clients, four past waves, one wave in field).")
    click.echo(f"Settings in {config_file}: every `survey` command with SURVEY_DATA_DIR={data_dir} uses the demo.\n")
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

    run(create_app, host=host, port=port, workers=2)
