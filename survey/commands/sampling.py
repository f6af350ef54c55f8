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
    click.echo("")
    click.echo("plan beside a census (invitations / visits / calls / cost):")
    click.echo(f"{'tier':<12}{'share':>7}{'invite':>9}{'census':>9}{'visit':>8}{'census':>9}{'call':>8}"
               f"{'census':>9}{'cost':>12}{'census':>13}")
    for t in plan.tiers:
        click.echo(f"{t.code:<12}{t.share_of_frame:>7.0%}{t.release:>9}{t.population:>9}{t.modes['in_person']:>8}"
                   f"{t.census_modes.get('in_person', 0):>9}{t.modes['phone']:>8}{t.census_modes.get('phone', 0):>9}"
                   f"{t.cost:>12,.0f}{t.census_cost:>13,.0f}")
    census_cost = sum(t.census_cost for t in plan.tiers)
    click.echo(f"{'all':<12}{'':>7}{plan.total('release'):>9}{plan.total('population'):>9}{'':>34}"
               f"{plan.total('cost'):>12,.0f}{census_cost:>13,.0f}")


def _print_checks(checks) -> None:
    for check in checks:
        click.echo(f"needs confirmation: {check.message}")


@click.command("plan")
@click.argument("wave")
@click.option("--margin", type=float, default=None, help="target margin per tier (default 0.05)")
@click.option("--total", type=int, default=None, help="fixed total of completes instead of a margin")
@click.option("--confidence", type=float, default=0.95, show_default=True)
@click.option("--method", type=click.Choice(METHODS), default="equal", show_default=True)
@click.option("--minimum", type=int, default=30, show_default=True, help="minimum completes per tier")
@click.option("--take-all", multiple=True, help="a tier taken whole (repeat for several)")
@click.option("--reserve-share", type=float, default=0.5, show_default=True)
@click.option("--confirm", is_flag=True, help="store this plan for the draw, confirming its checks")
@with_appcontext
def plan_command(wave, margin, total, confidence, method, minimum, take_all, reserve_share, confirm):
    """Preview (and with --confirm, store) the sampling plan of WAVE."""
    from survey.commands.common import progress_bar
    from survey.errors import Conflict, ValidationFailed
    from survey.services.samples import checks as sampling_checks
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
            plan = sampling_plan.compute_plan(session, w, params, frame)
            _print_plan(plan)
            checks = sampling_checks.plan_checks(plan, w)
            _print_checks(checks)
            if confirm:
                sampling_checks.store_plan(session, w, params, "cli", confirm=True)
                click.echo(f"plan stored for wave {w.name}" + (" with its checks confirmed" if checks else ""))
            elif checks:
                click.echo("the draw of this plan needs `survey draw --confirm` (or store it with `survey plan --confirm`)")
        except (Conflict, ValidationFailed) as exc:
            raise click.ClickException(str(exc)) from None


@click.command("draw")
@click.argument("wave")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None, help="default: 63 random bits, recorded")
@click.option("--reset", is_flag=True, help="undo the draw (only while nothing has been fielded)")
@click.option("--confirm", is_flag=True,
              help="draw even though the plan takes more than half of a tier's frame or goes over the budget")
@with_appcontext
def draw_command(wave, seed, reset, confirm):
    """Draw the sample of WAVE by its confirmed plan (or the default plan)."""
    from survey.commands.common import progress_bar
    from survey.errors import Conflict, PlanNeedsConfirmation
    from survey.services.samples import draw as sampling_draw

    bar = progress_bar()
    try:
        with session_scope() as session:
            w = wave_or_exit(session, wave)
            if reset:
                sampling_draw.reset_draw(session, w, "cli")
                click.echo(f"draw of wave {w.name} reset")
                return
            result = sampling_draw.draw_sample(session, w, "cli", seed=seed, progress=bar, confirm=confirm)
    except PlanNeedsConfirmation as exc:
        bar.close()
        raise click.ClickException(f"{exc} Nothing was drawn: run `survey draw {wave} --confirm` to draw it anyway.") from None
    except Conflict as exc:
        bar.close()
        raise click.ClickException(str(exc)) from None
    bar.close()
    click.echo(f"wave {w.name} drawn with seed {result.draw.seed} ({result.draw.algorithm}, "
               f"numpy {result.draw.numpy_version})")
    for code, n in result.released.items():
        click.echo(f"  {code:<12} frame {result.draw.frame_counts[code]:>9}  invited {n:>6}  "
                   f"reserve {result.reserve[code]:>6}")
    if result.web:
        click.echo(f"{result.web} web invitation(s): their links are sent (e-mail or SMS) when fieldwork opens")
    click.echo(f"next: survey open-fieldwork {w.name}")


@click.command("release")
@click.argument("wave")
@click.option("--tier", help="the tier to release COUNT cases in")
@click.option("--count", type=click.IntRange(1))
@click.option("--to-target", is_flag=True,
              help="release in every tier just the reserve the projection needs to reach the target margin")
@with_appcontext
def release_command(wave, tier, count, to_target):
    """Release reserve cases of WAVE as invitations: --tier and --count, or --to-target."""
    from survey.errors import Conflict, ValidationFailed
    from survey.services.samples import draw as sampling_draw
    from survey.services.samples import responsive

    if to_target == bool(tier or count) or (not to_target and not (tier and count)):
        raise click.UsageError("give either --tier and --count, or --to-target")
    try:
        with session_scope() as session:
            w = wave_or_exit(session, wave)
            if to_target:
                released = responsive.release_to_target(session, w, "cli")
                _print_projection(responsive.project_wave(session, w), released)
                return
            sampling_draw.release_reserve(session, w, tier, count, "cli")
            left = sampling_draw.reserve_left(session, w).get(tier, 0)
    except (Conflict, ValidationFailed) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"released {count} case(s) in tier {tier} of wave {w.name}; {left} left in reserve")


def _print_projection(projection, released: dict[str, int]) -> None:
    click.echo(f"{'tier':<12}{'released':>9}{'new':>6}{'rate':>7}{'at close':>10}{'target':>8}{'margin':>8}"
               f"{'reserve':>9}")
    for t in projection.tiers:
        margin = "-" if t.projected_margin == float("inf") else f"{t.projected_margin * 100:.1f}"
        click.echo(f"{t.code:<12}{t.released:>9}{released.get(t.code, 0):>6}{t.rate:>7.0%}"
                   f"{t.projected_completes:>10.1f}{t.target_completes:>8}{margin:>8}{t.reserve:>9}")
    if not released:
        click.echo("nothing released: every tier is projected to reach its target, or has no reserve left")
    else:
        click.echo(f"released {sum(released.values())} reserve case(s) in recorded order (audited)")


def register(group) -> None:
    """Add this area's commands to the app's CLI group."""
    for cmd in (plan_command, draw_command, release_command):
        group.add_command(cmd)
