"""The command line: options -> Config -> run -> reporter -> exit code.

Exit codes: 0 when nothing is at or above ``--fail-on``, 1 when something is (or a
file could not be read), 2 for a usage, config, pack or baseline error. Every error a
user can cause is caught here and printed on one line; never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import click

from apisec_lint import __version__
from apisec_lint.errors import UsageError
from apisec_lint.types import Severity

FORMATS = ("text", "json", "sarif", "github")


def _split(values: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


class _Command(click.Command):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except UsageError as exc:
            click.echo(f"apisec-lint: error: {exc}", err=True)
            sys.exit(2)


@click.command(cls=_Command, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to FILE instead of standard output.")
@click.option("--select", multiple=True, help="Rules to enable: codes, prefixes (APS1) or names.")
@click.option("--ignore", multiple=True, help="Rules to disable: codes, prefixes or names.")
@click.option("--extend-select", multiple=True, help="Rules to enable on top of the selection.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (default: [tool.apisec-lint] in the nearest pyproject.toml, "
                   "else .apisec-lint.toml).")
@click.option("--fail-on", type=click.Choice(["low", "medium", "high"]),
              help="Lowest severity that makes the exit code 1 (default: low).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--baseline", type=click.Path(dir_okay=False),
              help="Report only findings not in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False),
              help="Write the current findings to a baseline file and exit 0.")
@click.option("--fix/--no-fix", "fix", default=None,
              help="Apply the safe fixes to the files, then report what remains "
                   "(config: fix = true).")
@click.option("--unsafe-fixes/--no-unsafe-fixes", "unsafe_fixes", default=None,
              help="With --fix or --diff, apply the unsafe fixes too: they change what the "
                   "code does at run time (config: unsafe-fixes = true).")
@click.option("--diff", is_flag=True,
              help="Print the fixes as a unified diff instead of writing them; exit 1 when "
                   "there is something to fix.")
@click.option("--jobs", "-j", type=click.IntRange(min=1),
              help="Worker processes (default: all cores).")
@click.option("--force-exclude", is_flag=True,
              help="Apply excludes and .gitignore to files named on the command line too "
                   "(what a pre-commit hook wants).")
@click.option("--no-cache", is_flag=True, help="Do not read or write .apisec-lint-cache/.")
@click.option("--no-suppressions", is_flag=True, help="Ignore inline suppressions (audits).")
@click.option("--show-source", is_flag=True, help="Text format: show the offending line.")
@click.option("--stats", is_flag=True, help="Print counts per rule and timing.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--explain", metavar="CODE", help="Print a rule's documentation and exit.")
@click.option("--permissions", is_flag=True,
              help="Instead of findings, print the least-privilege report: each API key "
                   "the code uses and the permissions its calls need (text or json).")
@click.option("--no-prefilter", is_flag=True, hidden=True,
              help="Parse every file even when no rule could fire (to check the fast path).")
@click.version_option(__version__, "--version", prog_name="apisec-lint")
def main(**opts: Any) -> None:
    """Find leaked keys, disabled TLS, missing rate limits, untrusted order input and
    over-broad API keys in code that trades through crypto-exchange APIs."""
    try:
        code = _main(Options(**opts))
    except UsageError as exc:
        click.echo(f"apisec-lint: error: {exc}", err=True)
        code = 2
    except KeyboardInterrupt:
        click.echo("apisec-lint: interrupted", err=True)
        code = 130
    except Exception as exc:  # never a traceback for the user
        click.echo(f"apisec-lint: internal error: {type(exc).__name__}: {exc} "
                   "(please report this with the command you ran)", err=True)
        code = 2
    sys.exit(code)


@dataclass(frozen=True)
class Options:
    """The parsed command line."""

    paths: tuple[str, ...] = ()
    fmt: str = "text"
    output: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    config_path: str | None = None
    fail_on: str | None = None
    exit_zero: bool = False
    baseline: str | None = None
    write_baseline: str | None = None
    jobs: int | None = None
    force_exclude: bool = False
    no_cache: bool = False
    no_suppressions: bool = False
    show_source: bool = False
    stats: bool = False
    list_rules: bool = False
    explain: str | None = None
    permissions: bool = False
    no_prefilter: bool = False
    fix: bool | None = None
    unsafe_fixes: bool | None = None
    diff: bool = False


def _main(o: Options) -> int:
    paths, fmt, output, select, ignore = o.paths, o.fmt, o.output, o.select, o.ignore
    extend_select, config_path, fail_on, exit_zero = (o.extend_select, o.config_path,
                                                      o.fail_on, o.exit_zero)
    baseline, write_baseline, jobs, no_cache = o.baseline, o.write_baseline, o.jobs, o.no_cache
    no_suppressions, show_source, stats = o.no_suppressions, o.show_source, o.stats
    list_rules, explain, no_prefilter, permissions = (o.list_rules, o.explain, o.no_prefilter,
                                                      o.permissions)
    from apisec_lint.config import load_config
    from apisec_lint.rule import Registry

    registry = Registry.load()
    if list_rules:
        click.echo(_list_rules(registry), nl=False)
        return 0
    if explain:
        rule = registry.lookup(explain)
        if rule is None:
            raise UsageError(f"unknown rule {explain!r}; see --list-rules")
        click.echo(_explain(rule))
        return 0

    targets = paths or (".",)
    config = load_config(config_path, targets, registry)
    if select:
        config = replace(config, select=_split(select))
    if ignore:
        config = replace(config, ignore=(*config.ignore, *_split(ignore)))
    if extend_select:
        config = replace(config, extend_select=(*config.extend_select, *_split(extend_select)))
    if fail_on:
        config = replace(config, fail_on=Severity.parse(fail_on))
    if no_suppressions:
        config = replace(config, no_suppressions=True)
    if o.force_exclude:
        config = replace(config, force_exclude=True)
    for sels in (config.select, config.ignore, config.extend_select):
        registry.check_selectors(sels)
    enabled = registry.select(config.select, config.ignore, config.extend_select)

    from apisec_lint.engine import run
    from apisec_lint.packs import load_knowledge

    knowledge = load_knowledge(config.packs)
    fixing = o.diff or bool(o.fix if o.fix is not None else config.extra("fix", False))
    unsafe = bool(o.unsafe_fixes if o.unsafe_fixes is not None
                  else config.extra("unsafe-fixes", False))
    if fixing and (permissions or write_baseline):
        raise UsageError(f"--{'diff' if o.diff else 'fix'} cannot be combined with "
                         f"--{'permissions' if permissions else 'write-baseline'}")
    if permissions:
        return _permissions(targets, config, knowledge, fmt, output, jobs)
    from apisec_lint.progress import Progress

    result = run(targets, config, registry, knowledge, enabled=enabled, jobs=jobs,
                 use_cache=not no_cache, baseline=baseline, prefilter=not no_prefilter,
                 progress=Progress() if Progress.wanted() else None)
    outcome = None
    if fixing:
        from apisec_lint.autofix import fix_run
        from apisec_lint.pipeline import Session

        session = Session(registry, knowledge, config, enabled, not no_prefilter)
        outcome = fix_run(result, session, unsafe=unsafe, write=not o.diff, baseline=baseline)
        if o.diff:
            return _show_diff(outcome, result, unsafe, output)
        if outcome.changed:  # report what remains in the files as they are now
            result = run(targets, config, registry, knowledge, enabled=enabled, jobs=jobs,
                         use_cache=not no_cache, baseline=baseline,
                         prefilter=not no_prefilter)
        result.errors.extend(outcome.errors)

    if write_baseline:
        from apisec_lint.baseline import write_baseline as write

        write(write_baseline, result.findings)
        click.echo(f"apisec-lint: wrote {len(result.findings)} finding(s) to {write_baseline}",
                   err=True)
        return 0

    from apisec_lint.report import ReportOptions, renderer

    stream_is_tty = output is None and sys.stdout.isatty()
    color = fmt == "text" and stream_is_tty and "NO_COLOR" not in os.environ
    text = renderer(fmt)(result, registry, ReportOptions(color=color, show_source=show_source,
                                                         stats=stats))
    _write(text, output)
    if stats and fmt != "text":
        click.echo(f"apisec-lint: {result.files} files, {result.lines} lines, "
                   f"{result.seconds:.2f}s ({result.cached} from cache)", err=True)
    for err in result.errors if fmt != "text" else ():
        click.echo(f"apisec-lint: {err.path}: {err.message}", err=True)

    if fixing and outcome is not None:
        _fix_summary(outcome, result, unsafe)
    elif fmt == "text" and not output:
        _fixable_hint(result, unsafe)

    if exit_zero:
        return 0
    failing = [f for f in result.findings if f.severity >= config.fail_on]
    return 1 if failing or result.errors else 0


def _unsafe_hint(findings: Sequence[Any], unsafe: bool) -> str:
    hidden = 0 if unsafe else sum(1 for f in findings if f.fix is not None and not f.fix.safe)
    return (f" {hidden} more fix{'es' if hidden != 1 else ''} available with --unsafe-fixes."
            if hidden else "")


def _fix_summary(outcome: Any, result: Any, unsafe: bool) -> None:
    """``--fix``: what was fixed, what remains, what to set, on standard error."""
    n = outcome.fixed
    remaining = len(result.findings)
    files = len(outcome.changed)
    click.echo(f"apisec-lint: fixed {n} finding{'s' if n != 1 else ''} in {files} "
               f"file{'s' if files != 1 else ''} ({remaining} remaining)."
               + _unsafe_hint(result.findings, unsafe), err=True)
    if outcome.env:
        click.echo("apisec-lint: credentials were moved out of the code: set "
                   + ", ".join(outcome.env) + " in the environment", err=True)


def _fixable_hint(result: Any, unsafe: bool) -> None:
    safe = sum(1 for f in result.findings if f.fix is not None and (unsafe or f.fix.safe))
    if safe:
        click.echo(f"apisec-lint: {safe} fixable with --fix."
                   + _unsafe_hint(result.findings, unsafe), err=True)
    else:
        hint = _unsafe_hint(result.findings, unsafe)
        if hint:
            click.echo(f"apisec-lint: no safe fixes;{hint}", err=True)


def _show_diff(outcome: Any, result: Any, unsafe: bool, output: str | None) -> int:
    """``--diff``: the unified diff of every file a fix would change; nothing written."""
    text = "".join(f.diff() for f in outcome.changed)
    _write(text, output)
    n = outcome.fixed
    click.echo(f"apisec-lint: would fix {n} finding{'s' if n != 1 else ''} in "
               f"{len(outcome.changed)} file{'s' if len(outcome.changed) != 1 else ''}."
               + _unsafe_hint(result.findings, unsafe), err=True)
    for err in outcome.errors:
        click.echo(f"apisec-lint: {err.path}: {err.message}", err=True)
    return 1 if outcome.changed or outcome.errors else 0


def _permissions(targets: Sequence[str], config: Any, knowledge: Any, fmt: str,
                 output: str | None, jobs: int | None) -> int:
    """``--permissions``: the least-privilege report instead of findings."""
    from apisec_lint.permissions import render_json, render_text, run_permissions

    if fmt not in ("text", "json"):
        raise UsageError(f"--permissions prints text or json, not {fmt}")
    report = run_permissions(targets, config, knowledge, jobs=jobs)
    text = render_json(report, __version__) if fmt == "json" else render_text(report)
    _write(text, output)
    return 0


def _write(text: str, output: str | None) -> None:
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"{output}: cannot write report: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False)


def _list_rules(registry: Any) -> str:
    """One line per rule; the fix column says whether ``--fix`` (safe) or only
    ``--fix --unsafe-fixes`` (unsafe) can fix its findings."""
    lines = [f"{'code':<7} {'name':<38} {'severity':<8} {'fix':<11} summary"]
    for rule in registry.rules:
        lines.append(f"{rule.code:<7} {rule.name:<38} {rule.severity!s:<8} "
                     f"{rule.fix_label():<11} {rule.summary()}")
    return "\n".join(lines) + "\n"


def _explain(rule: Any) -> str:
    head = (f"{rule.code} ({rule.name}) — severity {rule.severity}"
            + (f", CWE-{rule.cwe}" if rule.cwe else ""))
    if rule.fixable:
        how = "--fix" if rule.fix_label() == "safe" else (
            "--fix --unsafe-fixes" if rule.fix_label() == "unsafe"
            else "--fix (safe fixes) / --fix --unsafe-fixes")
        head += f"\nFixable with {how}: {rule.fix_description or 'yes'}"
    else:
        head += "\nNot fixable automatically."
    return f"{head}\n\n{rule.documentation()}\n"


if __name__ == "__main__":  # pragma: no cover
    main()
