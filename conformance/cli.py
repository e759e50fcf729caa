"""Command line: ``ticket-conformance run|serve|record|checks|diff|publish`` (interface fixed by design.md section 1)."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import signal
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from conformance.model.errors import ConfigError

EXIT_OK, EXIT_VIOLATION, EXIT_CONFIG, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
VENDORS = ("opine", "copper")
MAX_WORKERS = 32  # --workers: more threads only add contention for one interpreter lock
PROG = "ticket-conformance"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # main() prefixes "ticket-conformance: "; a subcommand's parser adds only its own name.
        where = self.prog.removeprefix(PROG).strip()
        raise ConfigError(f"{where + ': ' if where else ''}{message}{_did_you_mean(self, message)}")


def _did_you_mean(parser: argparse.ArgumentParser, message: str) -> str:
    """'; did you mean X?' for a mistyped option or choice (difflib), else ''."""
    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if choice:
        word, candidates = choice.group(1), re.findall(r"'([^']*)'", choice.group(2))
    elif message.startswith("unrecognized arguments: "):
        word = message.split(": ", 1)[1].split()[0].split("=")[0]
        candidates = _option_strings(parser)
    else:
        return ""
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every option string of ``parser`` and its subcommands."""
    found: list[str] = []
    for action in parser._actions:  # argparse has no public walk over subparsers
        found += [s for s in action.option_strings if s.startswith("--")]
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _option_strings(sub)
    return sorted(set(found))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def _workers(text: str) -> int:
    value = _positive_int(text)
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"from 1 to {MAX_WORKERS}: {text!r}")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port (0-65535): {text!r}")
    return value


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"a percentage from 0 to 100: {text!r}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _pages(text: str) -> int:
    value = _positive_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _rate_or_auto(text: str) -> float | str:
    return "auto" if text == "auto" else _rate(text)


def _seconds(text: str) -> float:
    value = _rate(text)
    if value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _bytes(text: str) -> int:
    """A byte count: 1048576, or with a unit: 64KiB, 8MiB, 1GiB."""
    units = {"kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3, "b": 1}
    lowered = text.strip().lower()
    for unit, factor in units.items():
        if lowered.endswith(unit):
            number = lowered[: -len(unit)].strip()
            break
    else:
        number, factor = lowered, 1
    try:
        value = int(float(number) * factor)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"not a byte count: {text!r} (e.g. 8MiB)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


# Budgets and limits of a run: one table for `run` and the pytest plugin (which spells each
# --conformance-NAME); each value lands on RunRequest's field of the same name (dashes as underscores).
RUN_LIMITS: tuple[tuple[str, Callable[[str], object], str, str], ...] = (
    ("rate-limit", _rate_or_auto, "R|auto",
     "requests per second, or auto (default for live targets): pace as the API's 429s ask"),
    ("max-response-bytes", _bytes, "N", "longest answer read (default 8MiB); a longer one is a failed check"),
    ("response-timeout", _seconds, "S", "seconds for one whole answer: connect, headers, body (default 30)"),
    ("max-retry-after", _seconds, "S", "longest Retry-After waited out (default 60); a longer one ends the run (exit 2)"),
    ("max-duration", _seconds, "S", "end the run after S seconds: the rest is reported as not evaluated (exit 2)"),
    ("max-walk-pages", _pages, "N", "pages one walk of the list may take (default 1000); more is a failed check"),
    ("retry-budget", _positive_int, "N",
     "retries (after 429, 5xx and transport failures) the whole run may spend (default 1000)"),
    ("unresponsive-after", _pages, "N",
     "transport failures in a row after which the API is declared unresponsive and the run ends (default 3)"),
    ("min-evaluated", _percent, "PERCENT",
     "exit 1 when fewer than PERCENT %% of the checks reached a verdict (passed or failed)"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Conformance suite for Ticket-like REST APIs: Opine and Copper built in, any other API "
                                         "described by a spec and a profile file (--profile).")
    debug_help = "on an internal error (exit 3), show the traceback"
    parser.add_argument("--debug", action="store_true", help=debug_help)
    parser.add_argument("--version", action=_Version, nargs=0, help="print the package, spec and key dependency versions")
    # --debug is accepted after the subcommand too (`run --debug ...`); SUPPRESS keeps the top-level value.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_parser = sub.add_parser
    sub.add_parser = lambda *a, **k: add_parser(*a, parents=[common], **k)  # type: ignore[method-assign]

    run = sub.add_parser("run", help="run the conformance checks against one vendor API")
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument("--vendor", choices=VENDORS, help="%(choices)s")
    which.add_argument("--profile", type=Path, metavar="FILE",
                       help="any API described by a profile file (YAML or TOML; docs/profile-format.md)")
    run.add_argument("--target", choices=("reference", "live", "replay"), default=None,
                     help="reference (default: the built-in server), live, or replay (cassettes)")
    run.add_argument("--base-url", help="the API root with its version prefix, e.g. http://127.0.0.1:8081/v1")
    run.add_argument("--api-key", help="else the variable the profile names (auth.key_env: "
                     "$OPINE_API_KEY, $COPPER_API_KEY)")
    run.add_argument("--allow-writes", action="store_true", help="live only: let the suite create and update (POST, and the profile's update "
                     "verb) its own marked tickets")
    run.add_argument("--record", action="store_true", help="live only: also write cassettes")
    run.add_argument("--cassettes", type=Path, default=Path("cassettes"), help="cassette directory (default cassettes)")
    run.add_argument("--report-dir", type=Path, help="default reports/<vendor>-<UTC timestamp>/")
    run.add_argument("--seed", type=_positive_int, default=1,
                     help="seeds every draw: the same seed sends the same requests (default 1)")
    run.add_argument("--max-examples", type=_positive_int, default=12,
                     help="examples each exploring check draws (default 12)")
    run.add_argument("--max-requests", type=_positive_int,
                     help="the run's request budget; checks past it are skipped (default: none)")
    for name, kind, metavar, text in RUN_LIMITS:  # shared with the pytest plugin (--conformance-NAME)
        run.add_argument(f"--{name}", type=kind, metavar=metavar, help=text)
    run.add_argument("--churn", type=_positive_int, metavar="K",
                     help="reference only: before every K-th request another user creates a ticket")
    run.add_argument("--churn-updates", action="store_true", help="with --churn: the other user also updates one")
    run.add_argument("--check", action="append", dest="checks", metavar="NAME", help="run only this check (repeatable)")
    run.add_argument("--workers", type=_workers, default=1, metavar="N",
                     help="run checks in N threads (default 1: serial); same verdicts and requests, one budget "
                          "and rate limit; --record and replays run serially")
    run.add_argument("--baseline", type=Path, metavar="FILE",
                     help="known deviations (e.g. baselines/<vendor>.yaml): listed failures do not fail the run")
    run.add_argument("--baseline-update", type=Path, metavar="FILE",
                     help="after the run, add its unlisted failures to FILE as entries (keeps existing entries)")
    run.add_argument("--baseline-prune", action="store_true",
                     help="after the run, remove the entries of --baseline FILE whose check passed (fixed)")

    record = sub.add_parser("record", help="re-record the shipped cassettes from fresh reference servers, "
                                           "verify they replay, then replace <cassettes>/<vendor>/")
    record.add_argument("--vendor", action="append", choices=("opine", "copper"), help="default: every vendor")
    record.add_argument("--cassettes", type=Path, default=Path("cassettes"), help="cassette directory")

    checks = sub.add_parser("checks", help="list the checks (name, family, level, what each proves)")
    only = checks.add_mutually_exclusive_group()
    only.add_argument("--vendor", choices=VENDORS, help="only the checks that apply to this vendor")
    only.add_argument("--profile", type=Path, metavar="FILE",
                      help="every check, and whether (and why not) it applies to the API this profile file describes")
    checks.add_argument("--format", choices=("markdown", "json"), default="markdown", help="%(choices)s (default markdown)")
    checks.add_argument("--write", action="store_true",
                        help="write the markdown table to --out (default docs/checks.md under the current directory)")
    checks.add_argument("--out", type=Path, help="with --write: the file to write (default docs/checks.md)")

    serve = sub.add_parser("serve", help="serve a reference server on 127.0.0.1")
    serve.add_argument("vendor", choices=VENDORS, help="%(choices)s")
    serve.add_argument("--port", type=_port, default=0)
    serve.add_argument("--seed", type=_positive_int, default=0)
    serve.add_argument("--tickets", type=_positive_int, help="seed this many tickets instead of the default")
    serve.add_argument("--churn", type=_positive_int, metavar="K", default=0,
                       help="before every K-th request another user creates a ticket (a live account)")
    serve.add_argument("--churn-updates", action="store_true", help="with --churn: the other user also updates one")
    serve.add_argument("--mutant", help="serve a mutant (a reference server with one deliberate bug), by class name")
    serve.add_argument("--list-mutants", action="store_true",
                       help="list the vendor's mutants (name, the check it must trip, the bug) and exit")
    diff = sub.add_parser("diff", help="compare two report.json files; exit 1 if something newly broke")
    diff.add_argument("old", help="the earlier report.json (or its directory)")
    diff.add_argument("new", help="the later report.json (or its directory)")

    publish = sub.add_parser("publish", help="validate and lint the specs; write bundled JSON/YAML and HTML")
    publish.add_argument("--out", type=Path, default=Path("dist/specs"), help="output directory (default dist/specs)")
    return parser


class _Version(argparse.Action):
    """--version, computed only when asked (it reads the specs and the installed distributions)."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[override]
        print(_version_text())
        parser.exit()


def _version_text() -> str:
    """``ticket-conformance X.Y.Z`` then the shipped specs' info.version and the key dependencies' versions."""
    from importlib import metadata

    from conformance.specs import spec_versions

    def installed(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    specs = ", ".join(f"{vendor} {version}" for vendor, version in spec_versions().items())
    deps = ", ".join(f"{name} {installed(name)}" for name in ("hypothesis", "schemathesis", "vcrpy", "pytest"))
    return f"ticket-conformance {installed('ticket-conformance')}\nspecs: {specs}\n{deps}"


def _default_report_dir(vendor: str) -> Path:
    return Path("reports") / f"{vendor}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"


def cmd_run(args: argparse.Namespace) -> int:
    from conformance.run.engine import Interruption
    from conformance.run.runner import RunRequest, run
    from conformance.report.terminal import terminal_summary

    if args.profile is not None:  # read first: a broken profile is exit 2 naming its line, before anything runs
        from conformance.profiles import load_profile

        args.vendor = load_profile(args.profile).name
    request = RunRequest(vendor=args.vendor, profile=args.profile, target=args.target, base_url=args.base_url, api_key=args.api_key,
                         allow_writes=args.allow_writes, record=args.record, cassettes=args.cassettes,
                         seed=args.seed, max_examples=args.max_examples, max_requests=args.max_requests,
                         rate_limit=args.rate_limit, checks=args.checks, baseline=args.baseline,
                         max_response_bytes=args.max_response_bytes, response_timeout=args.response_timeout,
                         max_retry_after=args.max_retry_after, max_duration=args.max_duration,
                         max_walk_pages=args.max_walk_pages, retry_budget=args.retry_budget,
                         unresponsive_after=args.unresponsive_after, churn=args.churn or 0,
                         churn_updates=args.churn_updates, workers=args.workers)
    if args.baseline_prune and not args.baseline:
        raise ConfigError("--baseline-prune needs --baseline FILE (the file to prune)")
    report_dir = args.report_dir or _default_report_dir(args.vendor)
    interruption = Interruption()
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):  # both write a partial report, then exit 130
        name = signal.Signals(signum).name
        previous[signum] = signal.signal(signum, lambda _n, _f, name=name: interruption.signal(name))
    try:
        report = run(request, report_dir=report_dir, interruption=interruption)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print(terminal_summary(report, report_dir))
    if report.fatal:  # the run ended early (the API stopped answering, --max-duration): say why, exit 2
        print(f"ticket-conformance: {report.fatal}", file=sys.stderr)
    if not report.fatal and not report.interrupted and (args.baseline_update or args.baseline_prune):
        _maintain_baseline(args, report)
    code = report.exit_code
    if report.interrupted:
        print(f"ticket-conformance: interrupted ({report.interrupted}); partial report in {report_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    percent = report.summary["evaluated_percent"]
    if args.min_evaluated is not None and percent < args.min_evaluated and code == EXIT_OK:
        print(f"ticket-conformance: only {percent:g}% of the checks were evaluated, below --min-evaluated "
              f"{args.min_evaluated:g}", file=sys.stderr)
        return EXIT_VIOLATION
    return code


def _maintain_baseline(args: argparse.Namespace, report) -> None:
    """--baseline-prune, then --baseline-update: rewrite the baseline files from this run's verdicts."""
    from conformance.report import baseline

    from conformance.profiles import get_profile, load_profile

    names = baseline.catalogue_names(load_profile(args.profile) if args.profile else get_profile(args.vendor))
    if args.baseline_prune:
        removed = baseline.prune(report, args.baseline, names)
        print(f"baseline {args.baseline}: pruned {len(removed)} fixed entr{'y' if len(removed) == 1 else 'ies'}"
              + (f" ({', '.join(e.check for e in removed)})" if removed else ""))
    if args.baseline_update:
        added = baseline.update(report, args.baseline_update, names)
        print(f"baseline {args.baseline_update}: added {len(added)} entr{'y' if len(added) == 1 else 'ies'}"
              + (f" ({', '.join(e.check for e in added)}; edit their reasons, add links)" if added else ""))


def cmd_diff(args: argparse.Namespace) -> int:
    from conformance.report.diff import run_diff

    text, code = run_diff(args.old, args.new)
    sys.stdout.write(text)
    return code


def cmd_publish(args: argparse.Namespace) -> int:
    from conformance.publish import publish

    return publish(args.out)


def cmd_serve(args: argparse.Namespace) -> int:
    from conformance.profiles import get_profile
    from conformance.reference import http
    from conformance.transport.targets import reference_app, reference_store

    profile = get_profile(args.vendor)
    if args.list_mutants:
        from conformance.reference.mutants import describe, mutants

        for m in mutants(profile.name):
            print(f"{m.__name__}\t{m.catches}\t{describe(m)}")
        return EXIT_OK
    # The key from the environment, so that `run --base-url` with the same environment just works.
    key = os.environ.get(profile.key_env) or profile.reference_key
    if args.churn_updates and not args.churn:
        raise ConfigError("--churn-updates needs --churn K")
    churn = {"churn": args.churn, "churn_updates": args.churn_updates} if args.churn else {}
    if args.mutant:
        from conformance.reference.mutants import find, mutants

        try:
            store = find(profile.name, args.mutant)(seed=args.seed, tickets=args.tickets, api_key=key, **churn)
        except KeyError:
            names = [m.__name__ for m in mutants(profile.name)]
            close = difflib.get_close_matches(args.mutant, names, n=1)
            hint = f"did you mean {close[0]!r}? (`serve {profile.name} --list-mutants` lists them)" if close else \
                f"choose one of: {', '.join(names)}"
            raise ConfigError(f"unknown mutant {args.mutant!r} for {profile.name}; {hint}") from None
    else:
        store = reference_store(profile, seed=args.seed, tickets=args.tickets, api_key=key, **churn)
    try:
        server = http.start(reference_app(profile, store), port=args.port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # stdout: exactly the one line design.md fixes (scripts parse it); the base URL with its version
    # prefix and the accepted key go to stderr (only the built-in reference key is printed: a key taken
    # from the environment is named, never echoed).
    print(f"listening on {server.origin}", flush=True)
    accepts = f"${profile.key_env}" if os.environ.get(profile.key_env) else repr(profile.reference_key)
    print(f"base URL {server.origin}{profile.version_prefix}; accepts the key {accepts} "
          f"(--api-key, or ${profile.key_env})", file=sys.stderr, flush=True)
    stop.wait()
    server.stop()
    return EXIT_OK


def cmd_record(args: argparse.Namespace) -> int:
    from conformance.run.recording import record

    return record(args.vendor, args.cassettes)


def cmd_checks(args: argparse.Namespace) -> int:
    from conformance.report import catalogue as catalogue_doc

    if args.profile is not None:
        from conformance.profiles import load_profile

        if args.write or args.out:
            raise ConfigError("checks --write writes the full markdown table; drop --profile")
        profile = load_profile(args.profile)
        if args.format == "json":
            print(json.dumps(catalogue_doc.profile_json(profile), indent=2))
        else:
            print(catalogue_doc.render_profile(profile), end="")
        return EXIT_OK
    if args.write:
        if args.format != "markdown" or args.vendor:
            raise ConfigError("checks --write writes the full markdown table; drop --vendor/--format")
        try:
            print(f"wrote {catalogue_doc.write(args.out or catalogue_doc.DOC)}")
        except OSError as exc:
            raise ConfigError(f"cannot write {args.out or catalogue_doc.DOC}: {exc.strerror or exc}") from None
    elif args.out:
        raise ConfigError("checks --out needs --write")
    elif args.format == "json":
        print(json.dumps(catalogue_doc.as_json(args.vendor), indent=2))
    else:
        print(catalogue_doc.render(args.vendor), end="")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    debug = "--debug" in (sys.argv[1:] if argv is None else list(argv))
    try:
        args = build_parser().parse_args(argv)
        commands = {"run": cmd_run, "serve": cmd_serve, "diff": cmd_diff, "publish": cmd_publish,
                    "checks": cmd_checks, "record": cmd_record}
        return commands[args.command](args)
    except ConfigError as exc:
        from conformance.report.escape import visible

        print(visible(f"ticket-conformance: {exc}", one_line=True), file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        print("ticket-conformance: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `ticket-conformance checks | head -1`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not complain either
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - never a traceback on the user's terminal (unless --debug)
        from conformance.report.escape import visible

        if debug:
            import traceback

            traceback.print_exc()
        print(visible(f"ticket-conformance: internal error: {type(exc).__name__}: {exc} "
                      f"(a bug in the suite; --debug shows the traceback)", one_line=True), file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
