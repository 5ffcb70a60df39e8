"""The ``playbook`` command line: each subcommand wraps one library call.

Bad input prints a readable message (never a traceback) and exits with status 1.

Examples
--------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(main, ["--help"])
>>> result.exit_code
0
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import click

from playbook import incentives as inc
from playbook import rfm as rfm_mod
from playbook import targets
from playbook import workshop as ws
from playbook.apps import identity
from playbook.bench import run, to_markdown
from playbook.core import paths
from playbook.core.dates import resolve_as_of
from playbook.core.errors import PlaybookError, ValidationError
from playbook.core.labels import label_frame, t
from playbook.data import loading
from playbook.data.case_study import generate_case
from playbook.data.issues import format_report
from playbook.data.loading import validate_paths
from playbook.data.sample import generate, write_tables
from playbook.pipeline.batch import BatchInterrupted
from playbook.pipeline.idp_batch import render_idps
from playbook.pipeline.notebooks import render_notebook
from playbook.pipeline.store import Store, export_workbook
from playbook.present import incentives as present_incentives
from playbook.present import rfm as present_rfm
from playbook.present import targets as present_targets

__all__ = ["main"]


def _friendly(func):
    """Turn PlaybookError into a message on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            lang = kwargs.get("lang", "en") or "en"
            click.echo(format_report(exc.issues, lang), err=True)
            sys.exit(1)
        except PlaybookError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)

    return wrapper


def _shared_option(*decls: str, **defaults):
    """Return a decorator factory for an option declared once: ``option(**overrides)``.

    Each command takes the option with the shared declaration; a command changes only what
    differs for it (a help text, a default, whether it names a file or a folder).
    """

    def option(**overrides):
        return click.option(*decls, **{**defaults, **overrides})

    return option


data_option = _shared_option("--data", "data_dir", default="data/sample", show_default=True,
                             help="Data folder.")
map_option = _shared_option("--map", "column_map", default="", help="Column map name or YAML path.")
as_of_option = _shared_option("--as-of", "as_of", default="", help="As-of date; default latest order.")
lang_option = _shared_option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
                             help="Language of messages and reports.")
out_option = _shared_option("--out", "out", type=click.Path(file_okay=False, path_type=Path))  # a folder
OUT_FILE = click.Path(dir_okay=False, path_type=Path)  # out_option(type=OUT_FILE): one file


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sales-playbook")
def main() -> None:
    """Sales playbook and coaching kit (English / 简体中文)."""
    def show(message, category, *_args, **_kwargs):  # one readable line, no source path
        click.echo(f"Warning: {message}", err=True)

    warnings.showwarning = show


@main.command()
@out_option(required=True, help="Folder to write the CSV tables to.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="Size multiplier (70 gives about 1,000,000 orders).")
@click.option("--preset", type=click.Choice(["default", "saas-turnaround"]), default="default",
              show_default=True, help="saas-turnaround: the workshop's case-study company (no --scale).")
@_friendly
def sample(out: Path, seed: int, scale: float, preset: str) -> None:
    """Write the sample company's tables (deterministic for a seed)."""
    if preset == "saas-turnaround":
        tables = generate_case(seed=seed)
    else:
        tables = generate(seed=seed, scale=scale)
    files = write_tables(tables, out)
    for f in files:
        click.echo(f"wrote {f}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@map_option(default=None, help="Column map name (see data/column_maps) or YAML path; default: detected.")
@click.option("--table", default=None, help="Kit table of a single file; default: detected.")
@as_of_option(default=None, help="No date may be after this (YYYY-MM-DD).")
@lang_option()
@_friendly
def validate(paths: tuple[Path, ...], column_map: str | None, table: str | None,
             as_of: str | None, lang: str) -> None:
    """Check CRM export files or data folders; list every problem found."""
    issues = validate_paths(list(paths), column_map=column_map, table=table, as_of=as_of)
    click.echo(format_report(issues, lang))
    sys.exit(1 if len(issues) else 0)


@main.command()
@data_option(help="Data folder (reps, customers, orders, quotas …).")
@map_option()
@as_of_option(help="Last day counted; default latest order.")
@out_option(default=Path("reports"), show_default=True)
@lang_option()
@_friendly
def overview(data_dir: str, column_map: str, as_of: str, out: Path, lang: str) -> None:
    """Render the team overview report to standalone HTML."""
    ds = loading.load_inputs(data_dir, column_map=column_map, as_of=as_of)  # fail early
    target = out / f"team_overview_{lang}.html"
    render_notebook(
        paths.NOTEBOOKS_DIR / "00_team_overview.ipynb", target,
        {"data_dir": ds.source, "column_map": column_map, "as_of": as_of, "lang": lang},
        title=t("overview.title", lang), lang=lang,
    )
    click.echo(f"{t('cli.report_written', lang)}: {target.resolve()}")


@main.command()
@data_option()
@map_option()
@as_of_option()
@click.option("--window-days", type=int, default=365, show_default=True)
@click.option("--segment-map", default="default", show_default=True,
              help="default (11 segments), domain (high-value/potential/sleeping) or a YAML path.")
@click.option("--tiers", default="saas", show_default=True, help="Spend tiers: saas or case.")
@click.option("--export", "export", type=click.Path(path_type=Path), default=None,
              help="Write one customer list per segment: OUT.xlsx, or a folder of CSVs.")
@lang_option()
@_friendly
def rfm(data_dir: str, column_map: str, as_of: str, window_days: int, segment_map: str,
        tiers: str, export: Path | None, lang: str) -> None:
    """Segment customers by RFM and spend tier; print the summary, export the lists."""
    ds = loading.load_inputs(data_dir, column_map=column_map, as_of=as_of)
    when = resolve_as_of(as_of, ds.orders)
    seg = rfm_mod.segment_customers(ds.orders, as_of=when, window_days=window_days,
                                    segment_map=segment_map, tiers=tiers)
    summary = rfm_mod.segment_summary(seg, segment_map=segment_map)
    shown = present_rfm.display_labels(summary, segment_map=segment_map, lang=lang)
    shown = shown.rename(columns=label_frame(list(shown.columns), lang))
    click.echo(shown.to_string(index=False))
    if export is not None:
        for f in present_rfm.write_segment_lists(rfm_mod.segment_lists(seg, segment_map=segment_map), export):
            click.echo(f"wrote {f}")


@main.command()
@data_option()
@map_option()
@click.option("--plan-year", type=int, required=True, help="Year to plan, e.g. 2026.")
@click.option("--growth", type=float, default=None, help="Growth on the base year, 0.3 = +30%.")
@click.option("--amount", type=float, default=None, help="Absolute company target in CNY.")
@click.option("--base-year", type=int, default=None, help="Base year; default the year before.")
@click.option("--months", "time_method", default="seasonal", show_default=True,
              type=click.Choice(["equal", "seasonal"]), help="How the year splits into months.")
@click.option("--reps", "rep_method", default="capacity", show_default=True,
              type=click.Choice(["equal", "history", "capacity"]), help="How the target splits over reps.")
@out_option(type=OUT_FILE, required=True, help="Excel workbook to write (one sheet per level).")
@lang_option()
@_friendly
def quotas(data_dir: str, column_map: str, plan_year: int, growth: float | None, amount: float | None,
           base_year: int | None, time_method: str, rep_method: str, out: Path, lang: str) -> None:
    """Decompose a company target into quarters, months and per-rep quotas (Excel)."""
    ds = loading.load_inputs(data_dir, column_map=column_map)
    target = targets.company_target(ds.orders, plan_year=plan_year, amount=amount, growth=growth,
                                    base_year=base_year)
    plan = targets.decompose(ds.reps, ds.orders, target=target, plan_year=plan_year,
                             time_method=time_method, rep_method=rep_method, base_year=base_year)
    click.echo(present_targets.describe_target(target, lang=lang))
    click.echo(f"wrote {present_targets.write_quota_workbook(present_targets.quota_sheets(plan, lang=lang), out)}")


@main.command()
@data_option()
@map_option()
@as_of_option(help="As-of date; default latest data.")
@click.option("--team", default="", help="Only this team; default all.")
@out_option(default=Path("reports"), show_default=True)
@lang_option()
@_friendly
def funnel(data_dir: str, column_map: str, as_of: str, team: str, out: Path, lang: str) -> None:
    """Render the funnel diagnostics report (leaks, stuck deals, channel ROI) to HTML."""
    ds = loading.load_inputs(data_dir, column_map=column_map, as_of=as_of)  # fail early
    target = out / f"funnel_{lang}.html"
    render_notebook(paths.NOTEBOOKS_DIR / "03_funnel_diagnostics.ipynb", target,
                    {"data_dir": ds.source, "column_map": column_map, "as_of": as_of, "team": team,
                     "lang": lang}, title=t("funnel.title", lang), lang=lang)
    click.echo(f"{t('cli.report_written', lang)}: {target.resolve()}")


@main.command()
@data_option()
@map_option()
@click.option("--plan", default="domain_marginal", show_default=True,
              help="Plan name in templates/plans, or a YAML path.")
@click.option("--compare", "compare_plan", default="domain_whole", show_default=True,
              help="Second plan shown side by side.")
@click.option("--period", default="2024", show_default=True, help="2024, 2025-Q1 or 2025-03.")
@out_option(default=Path("reports"), show_default=True)
@lang_option()
@_friendly
def incentives(data_dir: str, column_map: str, plan: str, compare_plan: str, period: str, out: Path,
               lang: str) -> None:
    """Render the incentives report (payouts, plan comparison, scorecard) to HTML."""
    ds = loading.load_inputs(data_dir, column_map=column_map)  # fail early on bad data
    inc.load_plan(plan), inc.load_plan(compare_plan), inc.parse_period(period)  # and bad parameters
    target = out / f"incentives_{period}_{lang}.html"
    render_notebook(paths.NOTEBOOKS_DIR / "05_incentives.ipynb", target,
                    {"data_dir": ds.source, "column_map": column_map, "plan": plan,
                     "compare_plan": compare_plan, "period": period, "lang": lang},
                    title=t("incentives.title", lang), lang=lang)
    click.echo(f"{t('cli.report_written', lang)}: {target.resolve()}")


@main.command()
@data_option()
@map_option()
@click.option("--plan", default="domain_marginal", show_default=True, help="Plan name or YAML path.")
@click.option("--period", required=True, help="2024, 2025-Q1 or 2025-03.")
@out_option(required=True, help="Folder for one Excel statement per rep.")
@lang_option()
@_friendly
def statements(data_dir: str, column_map: str, plan: str, period: str, out: Path, lang: str) -> None:
    """Write one payout statement per rep (Excel, every amount with its rule) for HR."""
    ds = loading.load_inputs(data_dir, column_map=column_map)
    run = inc.run_plan(ds.orders, ds.reps, ds.quotas, plan=plan, period=period,
                       customers=ds.customers, activities=ds.activities)
    files = present_incentives.write_statements(run, out, lang=lang)
    click.echo(f"wrote {len(files)} statements to {out.resolve()}")


@main.group()
def idp() -> None:
    """Individual Development Plans: render one report per rep, export the plan store."""


@idp.command("render")
@data_option()
@map_option()
@out_option(default=Path("reports/idp"), show_default=True)
@click.option("--reps", default="", help="Comma-separated rep ids; default every current rep.")
@as_of_option()
@click.option("--workers", type=int, default=None, help="Parallel workers (default: CPUs, max 4).")
@click.option("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786.")
@click.option("--force", is_flag=True, help="Render every report again, even fresh ones.")
@click.option("--no-pdf", "no_pdf", is_flag=True, help="HTML only.")
@click.option("--from-store", "from_store", is_flag=True,
              help="Show each rep's latest stored plan (as agreed/archived) instead of the data's draft.")
@click.option("--store", "store_url", default=None, help="IDP store URL; default var/idp.sqlite.")
@click.option("--isolation", type=click.Choice(["warm", "fresh"]), default="warm", show_default=True,
              help="warm: each worker renders report after report in one kernel (reset between reports, "
                   "replaced after --max-reports or any error); fresh: a new kernel per report (slower).")
@click.option("--max-reports", "max_reports", type=click.IntRange(min=1), default=100, show_default=True,
              help="Reports a warm kernel renders before it is replaced.")
@lang_option()
@_friendly
def idp_render(data_dir: str, column_map: str, out: Path, reps: str, as_of: str, workers: int | None,
               scheduler: str | None, force: bool, no_pdf: bool, from_store: bool, store_url: str | None,
               isolation: str, max_reports: int, lang: str) -> None:
    """Render one IDP report per rep (HTML + PDF) and an index page."""
    try:
        batch = render_idps(paths.resolve(data_dir), out, column_map=column_map or None,
                            reps=reps.split(",") if reps else None, lang=lang, as_of=as_of or None,
                            workers=workers, scheduler=scheduler, force=force, pdf=not no_pdf,
                            from_store=from_store, store_url=store_url, isolation=isolation,
                            max_reports=max_reports)
    except BatchInterrupted as stop:
        done = sum(r.status != "failed" for r in stop.results)
        click.echo(t("render.interrupted", lang, done=done, total=stop.total), err=True)
        click.echo(f"{t('cli.index_written', lang)}: {(out / 'index.html').resolve()}", err=True)
        sys.exit(130)
    except KeyboardInterrupt:  # before any report (the snapshot): nothing to keep
        click.echo(t("render.interrupted_early", lang), err=True)
        sys.exit(130)
    counts = batch.counts()
    click.echo(", ".join(f"{t(f'render.status.{k}', lang)}: {v}" for k, v in counts.items()))
    for res in batch.failed:
        click.echo(f"  {res.rep_id}: {res.error}", err=True)
    click.echo(f"{t('cli.index_written', lang)}: {batch.index.resolve()}")
    sys.exit(1 if batch.failed else 0)


@idp.command("export")
@click.option("--store", "store_url", default=None, help="SQLAlchemy URL; default var/idp.sqlite.")
@out_option(type=OUT_FILE, required=True)
@_friendly
def idp_export(store_url: str | None, out: Path) -> None:
    """Export every plan, version, sign-off and review to one Excel workbook.

    A stored row that cannot be read does not stop the export: the others are written,
    and it is listed (plan, version, why) on stderr and in the sheet ``unreadable``;
    the exit status is then 1.
    """
    with Store(store_url or None) as store:
        try:
            done = export_workbook(store, out)
        except OSError as exc:
            raise PlaybookError(f"cannot write {out}: {exc.strerror or exc}.") from None
    click.echo(f"wrote {done.path}")
    if len(done.unreadable):
        click.echo(f"{len(done.unreadable)} stored row(s) could not be read; the workbook holds everything else "
                   "(they are listed in its sheet 'unreadable'). Restore the store from a backup to recover them:",
                   err=True)
        for line in done.unreadable_lines():
            click.echo(f"  {line}", err=True)
        sys.exit(1)


@main.group()
def workshop() -> None:
    """Workshop kit for trainers (notebooks/workshop)."""


@workshop.command("solutions")
@out_option(default=Path("reports/workshop_solutions"), show_default=True)
@click.option("--src", "src", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Workshop notebooks; default notebooks/workshop.")
@click.option("--solutions", "solutions", default=None, help="Solutions YAML; default templates/.")
@_friendly
def workshop_solutions(out: Path, src: Path | None, solutions: str | None) -> None:
    """Write the solved workshop notebooks and ANSWERS.md (the trainer's key)."""
    for f in ws.build_solutions(src or paths.NOTEBOOKS_DIR / "workshop", out, solutions=solutions or None):
        click.echo(f"wrote {f}")


@workshop.command("handouts")
@out_option(default=Path("reports/workshop_handouts"), show_default=True)
@click.option("--solved", is_flag=True, help="Render the solved notebooks (the trainer's copy).")
@lang_option()
@_friendly
def workshop_handouts(out: Path, solved: bool, lang: str) -> None:
    """Render each workshop notebook to a static HTML handout (for people without Python)."""
    src = paths.NOTEBOOKS_DIR / "workshop"
    with tempfile.TemporaryDirectory() as tmp:
        if solved:
            ws.build_solutions(src, tmp)
            src = Path(tmp)
        for nb in sorted(src.glob("*.ipynb")):
            target = out / f"{nb.stem}_{lang}{'_solved' if solved else ''}.html"
            render_notebook(nb, target, {"lang": lang}, title=nb.stem.replace("_", " "), lang=lang,
                            keep_input=True)
            click.echo(f"wrote {target}")


@main.command()
@click.option("--port", type=int, default=8866, show_default=True)
@click.option("--ip", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep loopback unless behind an authenticating proxy.")
@click.option("--trusted-proxy", is_flag=True,
              help="Take the user from the authenticating proxy's header (only behind a proxy that sets it).")
@click.option("--user-header", default=identity.DEFAULT_USER_HEADER, show_default=True,
              help="The proxy's header naming the user (with --trusted-proxy).")
@click.option("--hr", "hr", default="", help="HR logins, comma-separated (added to $PLAYBOOK_HR_USERS).")
@click.option("--dry-run", is_flag=True, help="Print the Voila command instead of running it.")
def app(port: int, ip: str, trusted_proxy: bool, user_header: str, hr: str, dry_run: bool) -> None:
    """Serve the staff apps with Voila (landing page lists them, EN / 中文).

    Who is logged in comes from the proxy's header (--trusted-proxy) or from Jupyter
    Server's login; without either the IDP form is read-only.
    """
    env = identity.server_env(trusted_proxy=trusted_proxy, user_header=user_header, hr=hr)
    exe = shutil.which("voila", path=str(Path(sys.executable).parent)) or "voila"
    # Kernels of closed pages are culled after 15 idle minutes: Voila's own shutdown request
    # on page close is refused (voila-dashboards/voila#1458, "_xsrf argument missing").
    cmd = [exe, str(paths.APPS_DIR), "--no-browser", f"--port={port}", f"--Voila.ip={ip}",
           "--strip_sources=True", "--show_tracebacks=False",
           "--MappingKernelManager.cull_idle_timeout=900", "--MappingKernelManager.cull_interval=60"]
    host = "127.0.0.1" if ip in ("0.0.0.0", "") else ip
    click.echo(f"Apps: http://{host}:{port}/voila/render/home.ipynb   (中文: ...?lang=zh)")
    who = (f"the {user_header} header of the proxy" if trusted_proxy else "the Jupyter login, if one is set")
    click.echo(f"Identity: {who}; HR: {env[identity.ENV_HR_USERS] or '(none)'}")
    if dry_run:
        click.echo(" ".join(cmd))
        return
    sys.exit(subprocess.call(cmd, cwd=str(paths.APPS_DIR), env={**os.environ, **env}))


@main.command()
@out_option(type=OUT_FILE, default=Path("reports/bench.md"), show_default=True)
@click.option("--quick", is_flag=True, help="Small sizes, for a smoke run.")
@_friendly
def bench(out: Path, quick: bool) -> None:
    """Run the benchmarks; print seconds and ratios against in-run baselines."""
    table = run(quick=quick)
    text = to_markdown(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(text)
    click.echo(f"written: {out.resolve()}")


if __name__ == "__main__":  # pragma: no cover
    main()
