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
import gc
import os
import sys
import tempfile
import warnings
from pathlib import Path

import click
import pyarrow as pa

from playbook import funnel as funnel_mod
from playbook import incentives as inc
from playbook import rfm as rfm_mod
from playbook import targets
from playbook import workshop as ws
from playbook.apps import ENV_LANG, identity, server
from playbook.bench import readme_section, run, to_markdown
from playbook.core import extras, paths, resources
from playbook.core.dates import resolve_as_of
from playbook.core.errors import PlaybookError, ValidationError
from playbook.core.labels import env_lang, label_frame, t
from playbook.data import importing, loading
from playbook.data.case_study import generate_case
from playbook.data.issues import format_report
from playbook.data.loading import validate_paths
from playbook.data.sample import generate, write_tables
from playbook.pipeline.batch import BatchInterrupted
from playbook.pipeline.idp_batch import render_idps
from playbook.pipeline.notebooks import render_notebook
from playbook.pipeline.store import Store, export_workbook
from playbook.pipeline.store_db import default_url
from playbook.pipeline.store_db import exists as store_exists
from playbook.present import incentives as present_incentives
from playbook.present import rfm as present_rfm
from playbook.present import targets as present_targets
from playbook.present.messages import message
from playbook.present.tables import display
from playbook.workshop.slides import write_slides

__all__ = ["main"]


def _lang() -> str:
    """Return the language of the running command: its ``--lang``, else the environment's locale."""
    ctx = click.get_current_context(silent=True)
    lang = ctx.params.get("lang") if ctx is not None else None
    return lang if lang in ("en", "zh") else env_lang()


def _arrow_pool() -> None:
    """Give Arrow jemalloc in this process, unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses or it is not built in.

    Loading a data folder allocates and frees gigabytes of Arrow text at company scale;
    Arrow's default (mimalloc) keeps freed blocks mapped, so the peak grows by what the
    other allocator (numpy's) needs next. With jemalloc, ``playbook rfm`` on 5 million
    orders peaks at 2.85 GB instead of 3.19 GB (1.0 GB of tables; issue 17), same time.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, pa.ArrowException):  # a build without jemalloc (e.g. Windows)
        pass


def _free_memory() -> None:
    """Give the system back the memory of tables no longer held (Arrow's pool keeps freed blocks for reuse)."""
    pa.default_memory_pool().release_unused()


def _friendly(func):
    """Turn PlaybookError into a message on stderr (in the command's language) and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:  # the data's problems, one line per cause (as playbook import)
            click.echo(message(exc, _lang()), err=True)
            sys.exit(1)
        except PlaybookError as exc:
            lang = _lang()
            click.echo(t("message.error", lang) + message(exc, lang), err=True)
            sys.exit(1)
        except ImportError as exc:  # an optional part missing at run time: one line naming the extra
            if extras.extra_of(exc) is None:
                raise
            click.echo(t("message.error", _lang()) + extras.message(extras.extra_of(exc), _lang()), err=True)
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
lang_option = _shared_option("--lang", type=click.Choice(["en", "zh"]), default=env_lang,
                             show_default="from the locale: zh when LANG is zh_*",
                             help="Language of messages and reports.")
out_option = _shared_option("--out", "out", type=click.Path(file_okay=False, path_type=Path))  # a folder
OUT_FILE = click.Path(dir_okay=False, path_type=Path)  # out_option(type=OUT_FILE): one file


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sales-playbook")
def main() -> None:
    """Sales playbook and coaching kit (English / 简体中文)."""
    _arrow_pool()

    def show(warning, category, *_args, **_kwargs):  # one readable line in the command's language
        lang = _lang()
        click.echo(t("message.warning", lang) + message(warning, lang), err=True)

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
        click.echo(t("cli.wrote", _lang(), path=f))


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


@main.command("import")
@click.argument("exports", nargs=-1, required=True, type=click.Path(path_type=Path))
@map_option(required=True, help="Column map of the exports: salesforce, hubspot, chinese_crm, kit or a YAML path.")
@out_option(required=True, help="Data folder to write (new, empty, or an earlier import's).")
@click.option("--encoding", default=None, help="Text encoding of CSV exports; default detected.")
@click.option("--tz", "tz", default=None, help="The team's time zone; default the map's (e.g. Asia/Shanghai).")
@click.option("--sheet", default=None, help="Sheet of a workbook with several sheets.")
@click.option("--amount-unit", "amount_unit", default=None,
              help="Unit of amounts that state none: 元, 千元 or 万元; default the map's.")
@as_of_option(default=None, help="No date may be after this (YYYY-MM-DD); default today.")
@lang_option()
@_friendly
def import_(exports: tuple[Path, ...], column_map: str, out: Path, encoding: str | None, tz: str | None,
            sheet: str | None, amount_unit: str | None, as_of: str | None, lang: str) -> None:
    """Turn raw CRM exports into a clean data folder; print what was derived and what was not."""
    result = importing.import_exports(list(exports), column_map, tz=tz, encoding=encoding, sheet=sheet,
                                      amount_unit=amount_unit, as_of=as_of)
    click.echo(importing.format_notes(result.notes, lang))
    if len(result.issues):
        click.echo(importing.format_failure(result.issues, out, lang, result.rows), err=True)
        sys.exit(1)
    report = importing.format_notes(result.notes, "en") + "\n"
    files = importing.write_dataset(result.tables, out, as_of=as_of, report=report)
    names = ", ".join(f"{f.name} ({len(result.tables[f.stem])})" for f in files)
    click.echo(t("import.wrote", lang, out=str(out), files=names))


@main.command()
@data_option(help="Data folder (reps, customers, orders, quotas …).")
@map_option()
@as_of_option(help="Last day counted; default latest order.")
@out_option(default=Path("reports"), show_default=True)
@lang_option()
@_friendly
def overview(data_dir: str, column_map: str, as_of: str, out: Path, lang: str) -> None:
    """Render the team overview report to standalone HTML."""
    # fail early on bad data, and keep none of it: the notebook's kernel loads the tables again (from the cache)
    source = loading.load_inputs(data_dir, column_map=column_map, as_of=as_of).source
    _free_memory()
    target = out / f"team_overview_{lang}.html"
    render_notebook(
        paths.NOTEBOOKS_DIR / "00_team_overview.ipynb", target,
        {"data_dir": source, "column_map": column_map, "as_of": as_of, "lang": lang},
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
    orders = loading.load_inputs(data_dir, column_map=column_map, as_of=as_of).orders  # the other tables go
    _free_memory()
    when = resolve_as_of(as_of, orders)
    seg = rfm_mod.segment_customers(orders, as_of=when, window_days=window_days,
                                    segment_map=segment_map, tiers=tiers)
    summary = rfm_mod.segment_summary(seg, segment_map=segment_map)
    shown = present_rfm.display_labels(summary, segment_map=segment_map, lang=lang)
    shown = display(shown, lang=lang).rename(columns=label_frame(list(shown.columns), lang))
    click.echo(shown.to_string(index=False))
    if export is not None:
        lists = rfm_mod.segment_lists(seg, segment_map=segment_map)
        for f in present_rfm.write_segment_lists(lists, export, lang=lang, segment_map=segment_map):
            click.echo(t("cli.wrote", _lang(), path=f))


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
    written = present_targets.write_quota_workbook(present_targets.quota_sheets(plan, lang=lang), out)
    click.echo(t("cli.wrote", lang, path=written))


@main.command()
@data_option()
@map_option()
@as_of_option(help="As-of date; default latest data.")
@click.option("--team", default="", help="Only this team; default all.")
@click.option("--period-start", default="", help="Leads created from this day on (YYYY-MM-DD); default all.")
@click.option("--period-end", default="", help="Leads created up to this day (YYYY-MM-DD); default the as-of date.")
@out_option(default=Path("reports"), show_default=True)
@lang_option()
@_friendly
def funnel(data_dir: str, column_map: str, as_of: str, team: str, period_start: str, period_end: str, out: Path,
           lang: str) -> None:
    """Render the funnel diagnostics report (leaks, stuck deals, channel ROI) to HTML."""
    funnel_mod.period_bounds(period_start, period_end)  # dates, before any data is read
    ds = loading.load_inputs(data_dir, column_map=column_map, as_of=as_of)  # fail early
    if team.strip():  # a team of the data's reps with opportunities, before any notebook runs
        _check_team(team, ds)
    source = ds.source
    del ds  # the notebook's kernel reads the tables again (from the cache)
    _free_memory()
    target = out / f"funnel_{lang}.html"
    render_notebook(paths.NOTEBOOKS_DIR / "03_funnel_diagnostics.ipynb", target,
                    {"data_dir": source, "column_map": column_map, "as_of": as_of, "team": team,
                     "period_start": period_start, "period_end": period_end, "lang": lang},
                    title=t("funnel.title", lang), lang=lang)
    click.echo(f"{t('cli.report_written', lang)}: {target.resolve()}")


_SHOWN = 8
"""How many known values a refused option lists (then "… N more")."""


def _check_team(team: str, ds: loading.Dataset) -> None:
    """Refuse ``--team`` unless reps of that team have opportunities in the data; list the known teams."""
    if ds.opportunities is None:  # no funnel at all: the report says so
        return
    reps = ds.reps
    with_opps = reps["rep_id"].astype(str).isin(ds.opportunities["rep_id"].astype(str))
    known = sorted(reps.loc[with_opps, "team"].dropna().astype(str).unique())
    if team in known:
        return
    more = len(known) - _SHOWN
    raise PlaybookError(f"--team {team!r} is not a team of the data (teams with opportunities: "
                        f"{', '.join(known[:_SHOWN])}" + (f" … {more} more" if more > 0 else "") + ").",
                        code="cli.unknown_team", params={
                            "value": team, "known": known[:_SHOWN],
                            "more_items": [{"key": "message.cli.more", "n": more}] if more > 0 else []})


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
    inc.load_plan(plan), inc.load_plan(compare_plan), inc.parse_period(period)  # bad parameters first
    # fail early on bad data, and keep none of it: the notebook's kernel loads the tables again (from the cache)
    source = loading.load_inputs(data_dir, column_map=column_map).source
    _free_memory()
    target = out / f"incentives_{period}_{lang}.html"
    render_notebook(paths.NOTEBOOKS_DIR / "05_incentives.ipynb", target,
                    {"data_dir": source, "column_map": column_map, "plan": plan,
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
    click.echo(t("cli.statements_written", lang, n=len(files), path=out.resolve()))


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
    pdf = not no_pdf and extras.has("pdf")  # without the [pdf] extra: HTML only, said below
    try:
        batch = render_idps(paths.resolve(data_dir), out, column_map=column_map or None,
                            reps=reps.split(",") if reps else None, lang=lang, as_of=as_of or None,
                            workers=workers, scheduler=scheduler, force=force, pdf=pdf,
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
    if not (no_pdf or pdf):
        click.echo(t("extras.no_pdf", lang, hint=extras.message("pdf", lang)), err=True)
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
    if not store_exists(store_url or None):  # reading never creates a store
        where = default_url() if not store_url else store_url
        raise PlaybookError(t("store.none_yet", "en", where=where), code="store.none_yet", params={"where": where})
    with Store(store_url or None) as store:
        try:
            done = export_workbook(store, out)
        except OSError as exc:
            raise PlaybookError(f"cannot write {out}: {exc.strerror or exc}.", code="cli.cannot_write",
                                params={"path": str(out), "reason": exc}) from None
    click.echo(t("cli.wrote", _lang(), path=done.path))
    if len(done.unreadable):
        click.echo(t("cli.unreadable_rows", _lang(), n=len(done.unreadable)), err=True)
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
        click.echo(t("cli.wrote", _lang(), path=f))


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
            click.echo(t("cli.wrote", lang, path=target))


@workshop.command("slides")
@out_option(default=Path("reports/workshop_slides"), show_default=True)
def workshop_slides(out: Path) -> None:
    """Write each workshop notebook as a reveal.js slide deck that works offline (no CDN)."""
    for f in write_slides(sorted((paths.NOTEBOOKS_DIR / "workshop").glob("*.ipynb")), out):
        click.echo(t("cli.wrote", _lang(), path=f))


@main.command()
@click.option("--port", type=int, default=8866, show_default=True)
@click.option("--ip", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep loopback unless behind an authenticating proxy.")
@click.option("--trusted-proxy", is_flag=True,
              help="Take the user from the authenticating proxy's header (only behind a proxy that sets it).")
@click.option("--user-header", default=identity.DEFAULT_USER_HEADER, show_default=True,
              help="The proxy's header naming the user (with --trusted-proxy).")
@click.option("--hr", "hr", default="", help="HR logins, comma-separated (added to $PLAYBOOK_HR_USERS).")
@click.option("--dry-run", is_flag=True, help="Print the server command instead of running it.")
@data_option(help="Data folder the apps read (checked before the server starts).")
@map_option(help="Column map of the data folder; the folder is then served in the kit's columns.")
@click.option("--upload-limit", "upload_limit", type=click.IntRange(1, 1024), default=10, show_default=True,
              help="Largest file (MB) the apps accept as an upload; shown next to the upload buttons.")
@lang_option(help="Language of these messages and of the apps without ?lang= in the address.")
@_friendly
def app(port: int, ip: str, trusted_proxy: bool, user_header: str, hr: str, dry_run: bool, data_dir: str,
        column_map: str, upload_limit: int, lang: str) -> None:
    """Serve the staff apps with Voila (landing page lists them, EN / 中文) until stopped.

    Who is logged in comes from the proxy's header (--trusted-proxy) or from Jupyter
    Server's login; without either the IDP form is read-only. The data folder is loaded
    first: a problem in it is reported here, never hidden behind the sample data.
    SIGTERM, SIGINT or SIGHUP stop the server and its kernels; the health check is at
    /playbook/health.
    """
    if not dry_run:
        extras.require("apps", lang)
    env = {**identity.server_env(trusted_proxy=trusted_proxy, user_header=user_header, hr=hr), ENV_LANG: lang}
    env[identity.ENV_DATA] = _app_data(data_dir, column_map)
    env["PLAYBOOK_UPLOAD_LIMIT_MB"] = str(upload_limit)
    click.echo(f"Data: {env[identity.ENV_DATA]}" + (f" (read with map {column_map})" if column_map else ""))
    cmd = server.voila_command(paths.APPS_DIR, ip=ip, port=port, upload_limit_mb=upload_limit)
    who = (f"the {user_header} header of the proxy" if trusted_proxy else "the Jupyter login, if one is set")

    def announce() -> None:
        click.echo(t("serve.apps_at", lang, url=server.app_url(ip, port)))
        click.echo(t("serve.health_at", lang, url=server.app_url(ip, port, server.HEALTH_PATH)))
        click.echo(f"Identity: {who}; HR: {env[identity.ENV_HR_USERS] or '(none)'}")

    if not server.is_loopback(ip):
        click.echo(t("serve.exposed", lang, ip=ip), err=True)
    if dry_run:
        announce()
        click.echo(" ".join(cmd))
        return
    server.check_port(ip, port, lang)
    code = server.serve(cmd, cwd=paths.APPS_DIR, env={**os.environ, **env}, ip=ip, port=port, ready=announce,
                        lang=lang)
    click.echo(t("serve.stopped", lang), err=True)
    gc.freeze()  # nothing left to clean: skip the interpreter's final collection, end at once
    sys.exit(code)


@main.group()
def notebooks() -> None:
    """Work with the kit's notebooks (analysis, workshop, apps): make an editable copy of your own."""


@notebooks.command("copy")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@lang_option()
@_friendly
def notebooks_copy(dest: Path, lang: str) -> None:
    """Copy the kit's notebooks to DEST (a new folder) to edit and run them in JupyterLab.

    The copies still find the sample company and the templates: a notebook's
    ``data_dir = "data/sample"`` means the kit's sample unless DEST has such a folder.
    """
    try:
        files = resources.copy_folder("notebooks", dest)
    except FileExistsError:
        raise PlaybookError(t("notebooks.exists", lang, folder=dest)) from None
    click.echo(t("notebooks.copied", lang, count=len(files), folder=dest.resolve()))
    click.echo(t("notebooks.open", lang, folder=dest))


def _app_data(data_dir: str, column_map: str) -> str:
    """Check the apps' data folder; with a map (not kit), serve a copy in the kit's columns."""
    ds = loading.load_inputs(data_dir, column_map=column_map)
    if not column_map or column_map == "kit":
        return str(Path(ds.source).resolve())
    folder = Path(tempfile.mkdtemp(prefix="playbook_app_data_"))
    write_tables(ds.tables(), folder)
    return str(folder)


@main.command()
@out_option(type=OUT_FILE, default=Path("reports/bench.md"), show_default=True)
@click.option("--quick", is_flag=True, help="Small sizes, for a smoke run (about 2 minutes).")
@click.option("--only", multiple=True, help="Run only this case (repeatable), e.g. --only rfm.")
@click.option("--readme/--no-readme", default=None,
              help="Rewrite the README's performance table (default: on a full run of every case).")
@_friendly
def bench(out: Path, quick: bool, only: tuple[str, ...], readme: bool | None) -> None:
    """Run the benchmarks; print seconds, ratios against in-run baselines and pass/fail per target."""
    table = run(quick=quick, only=list(only) or None)
    text = to_markdown(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(text)
    click.echo(t("cli.wrote", _lang(), path=out.resolve()))
    readme_path = paths.ROOT / "README.md"
    if (readme if readme is not None else not (quick or only)) and readme_path.is_file():
        readme_path.write_text(readme_section(readme_path.read_text(encoding="utf-8"), table), encoding="utf-8")
        click.echo(t("cli.wrote", _lang(), path=readme_path))


if __name__ == "__main__":  # pragma: no cover
    main()
