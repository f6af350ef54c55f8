"""``survey plan``, ``survey draw`` and ``survey release``: a wave's sample from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from survey.commands.common import wave_or_exit
from survey.db import session_scope

METHODS = ("proportional", "equal", "neyman", "optimal")


def _print_plan(plan) -> None:
    click.echo(f"method {plan.method_used}" + (f" (SDs from wave {plan.sd_source})" if plan.sd_source else "")
               + f", expected response rate {plan.response_rate:.0%}")
    if "no_previous_sd" in plan.notes:
        click.echo("note: no earlier wave with responses, so proportional allocation is used instead")
    if plan.unknown_tier:
        click.echo(f"note: {plan.unknown_tier} client(s) have a tier outside the wave's scheme and are left out")
    head = f"{'tier':<12}{'N':>9}{'excluded':>9}{'n':>7}{'invite':>8}{'compl.':>8}{'margin':>8}" \
           f"{'phone':>7}{'visit':>7}{'web':>6}{'reserve':>8}{'cost':>11}"
    click.echo(head)
    for t in plan.tiers:
        margin = "-" if t.margin is None else f"{t.margin * 100:.1f}"
        click.echo(f"{t.code:<12}{t.population:>9}{sum(t.excluded.values()):>9}{t.allocated:>7}{t.release:>8}"
                   f"{t.expected_completes:>8.1f}{margin:>8}{t.modes['phone']:>7}{t.modes['in_person']:>7}"
                   f"{t.modes['web']:>6}{t.drawn - t.release:>8}{t.cost:>11,.0f}")
    overall = "-" if plan.overall_margin is None else f"{plan.overall_margin * 100:.1f}"
    click.echo(f"{'all':<12}{plan.total('population'):>9}{'':>9}{plan.total('allocated'):>7}"
               f"{plan.total('release'):>8}{plan.total('expected_completes'):>8.1f}{overall:>8}{'':>20}"
               f"{plan.total('drawn') - plan.total('release'):>8}{plan.total('cost'):>11,.0f}")
    click.echo("excluded = opted out, cool-off, open follow-up, closed, unreachable (first rule that applies)")


@click.command("plan")
@click.argument("wave")
@click.option("--margin", type=float, default=None, help="target margin per tier (default 0.05)")
@click.option("--total", type=int, default=None, help="fixed total of completes instead of a margin")
@click.option("--confidence", type=float, default=0.95, show_default=True)
@click.option("--method", type=click.Choice(METHODS), default="equal", show_default=True)
@click.option("--minimum", type=int, default=30, show_default=True, help="minimum completes per tier")
@click.option("--take-all", multiple=True, help="a tier taken whole (repeat for several)")
@click.option("--reserve-share", type=float, default=0.5, show_default=True)
@click.option("--confirm", is_flag=True, help="store this plan for the draw")
@with_appcontext
def plan_command(wave, margin, total, confidence, method, minimum, take_all, reserve_share, confirm):
    """Preview (and with --confirm, store) the sampling plan of WAVE."""
    from survey.commands.common import progress_bar
    from survey.errors import Conflict, ValidationFailed
    from survey.services.samples import frame as sampling_frame
    from survey.services.samples import plan as sampling_plan

    with session_scope() as session:
        w = wave_or_exit(session, wave)
        data = dict(margin=margin, total=total, confidence=confidence, method=method, minimum=minimum,
                    take_all=list(take_all), reserve_share=reserve_share)
        try:
            params = sampling_plan.PlanParams.from_mapping(data, [t.code for t in w.tier_scheme.tiers])
            bar = progress_bar()
            frame = sampling_frame.load_frame(session, w, progress=bar)
            bar.close()
            _print_plan(sampling_plan.compute_plan(session, w, params, frame))
            if confirm:
                sampling_plan.confirm_plan(session, w, params, "cli")
                click.echo(f"plan stored for wave {w.name}")
        except (Conflict, ValidationFailed) as exc:
            raise click.ClickException(str(exc)) from None


@click.command("draw")
@click.argument("wave")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None, help="default: 63 random bits, recorded")
@click.option("--reset", is_flag=True, help="undo the draw (only while nothing has been fielded)")
@with_appcontext
def draw_command(wave, seed, reset):
    """Draw the sample of WAVE by its confirmed plan (or the default plan)."""
    from survey.commands.common import progress_bar
    from survey.errors import Conflict
    from survey.services.samples import draw as sampling_draw

    bar = progress_bar()
    try:
        with session_scope() as session:
            w = wave_or_exit(session, wave)
            if reset:
                sampling_draw.reset_draw(session, w, "cli")
                click.echo(f"draw of wave {w.name} reset")
                return
            result = sampling_draw.draw_sample(session, w, "cli", seed=seed, progress=bar)
    except Conflict as exc:
        bar.close()
        raise click.ClickException(str(exc)) from None
    bar.close()
    click.echo(f"wave {w.name} drawn with seed {result.draw.seed} ({result.draw.algorithm}, "
               f"numpy {result.draw.numpy_version})")
    for code, n in result.released.items():
        click.echo(f"  {code:<12} frame {result.draw.frame_counts[code]:>9}  invited {n:>6}  "
                   f"reserve {result.reserve[code]:>6}")
    if result.tokens:
        click.echo(f"{len(result.tokens)} web invitation(s) got a survey link (sent by the fieldwork messages)")


@click.command("release")
@click.argument("wave")
@click.option("--tier", required=True)
@click.option("--count", required=True, type=click.IntRange(1))
@with_appcontext
def release_command(wave, tier, count):
    """Release the next COUNT reserve cases of a tier of WAVE as invitations."""
    from survey.errors import Conflict, ValidationFailed
    from survey.services.samples import draw as sampling_draw

    try:
        with session_scope() as session:
            w = wave_or_exit(session, wave)
            sampling_draw.release_reserve(session, w, tier, count, "cli")
            left = sampling_draw.reserve_left(session, w).get(tier, 0)
    except (Conflict, ValidationFailed) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"released {count} case(s) in tier {tier} of wave {w.name}; {left} left in reserve")


def register(group) -> None:
    """Add this area's commands to the app's CLI group."""
    for cmd in (plan_command, draw_command, release_command):
        group.add_command(cmd)
