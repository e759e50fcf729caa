"""report.html: one self-contained page (inline CSS and JS, nothing loaded from the network).

Everything is rendered here, in Python, so the page reads fine with scripts off; the inline script
only filters by family, outcome and text. The filter state lives in the URL fragment
(``report.html#status=fail,known&family=auth&q=text``) so a filtered view can be linked.
"""

from __future__ import annotations

import base64
import hashlib

from conformance.report import escape as esc
from conformance.report.model import CheckResult, RunReport
from conformance.report.view import (OUTCOME_LABELS, OUTCOMES, as_text, families, matrix, ordered, outcome,
                                     totals, verdict)

CSS = """
:root{--fail:#b42318;--should:#b54708;--known:#6941c6;--blocked:#9e77ed;--skip:#667085;--inconclusive:#0e7090;--pass:#067647;--line:#d0d5dd}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#101828;background:#f9fafb}
header,main{max-width:1100px;margin:0 auto;padding:16px 20px}
header{border-bottom:1px solid var(--line);background:#fff;max-width:none}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#475467}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600}
.verdict.PASS{background:var(--pass)}.verdict.FAIL,.verdict.STOPPED,.verdict.INTERRUPTED{background:var(--fail)}
table{border-collapse:collapse;background:#fff}
td,th{border:1px solid var(--line);padding:4px 10px;text-align:right}
td:first-child,th:first-child{text-align:left}
.matrix td.n0{color:#98a2b3}
.matrix tr[data-family]{cursor:pointer}.matrix tr[data-family]:hover{background:#f2f4f7}
.badge{display:inline-block;min-width:52px;text-align:center;border-radius:4px;color:#fff;font-size:12px;
 font-weight:600;padding:1px 6px;text-transform:uppercase}
.badge.fail{background:var(--fail)}.badge.should{background:var(--should)}.badge.known{background:var(--known)}
.badge.skip{background:var(--skip)}.badge.pass{background:var(--pass)}.badge.blocked{background:var(--blocked)}.badge.inconclusive{background:var(--inconclusive)}
.filters{position:sticky;top:0;background:#f9fafb;padding:8px 0;border-bottom:1px solid var(--line);
 display:flex;flex-wrap:wrap;gap:12px;align-items:center;z-index:1}
.filters label{white-space:nowrap}
.check{background:#fff;border:1px solid var(--line);border-left:4px solid var(--line);border-radius:4px;
 margin:6px 0}
.check.fail{border-left-color:var(--fail)}.check.should{border-left-color:var(--should)}
.check.known{border-left-color:var(--known)}.check.skip{border-left-color:var(--skip)}
.check.pass{border-left-color:var(--pass)}.check.blocked{border-left-color:var(--blocked)}.check.inconclusive{border-left-color:var(--inconclusive)}
.check>summary{cursor:pointer;padding:6px 10px;list-style-position:outside}
.check .name{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-weight:600}
.check .fam{color:#475467}.check .msg{color:#344054}
.body{padding:0 14px 10px}
.body h4{margin:10px 0 2px;font-size:13px;color:#475467}
pre{background:#f2f4f7;padding:8px;border-radius:4px;overflow:auto;white-space:pre-wrap;word-break:break-word;margin:0}
.knownnote{background:#f4f3ff;border:1px solid #d9d6fe;padding:6px 10px;border-radius:4px}
.baseline ul{margin:4px 0}
.empty{color:#667085;font-style:italic}
"""

JS = """
(function () {
  var checks = Array.prototype.slice.call(document.querySelectorAll('.check'));
  var family = document.getElementById('f-family');
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name=status]'));
  var query = document.getElementById('f-q');
  var shown = document.getElementById('shown');
  var none = document.getElementById('none');
  function apply(write) {
    var statuses = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    var fam = family.value, q = query.value.trim().toLowerCase(), n = 0;
    checks.forEach(function (c) {
      var ok = statuses.indexOf(c.dataset.status) >= 0 && (!fam || c.dataset.family === fam) &&
               (!q || c.textContent.toLowerCase().indexOf(q) >= 0);
      c.hidden = !ok;
      if (ok) { n++; }
    });
    shown.textContent = n;
    none.hidden = n > 0;
    if (write) {
      var parts = [];
      if (statuses.length !== boxes.length) { parts.push('status=' + statuses.join(',')); }
      if (fam) { parts.push('family=' + encodeURIComponent(fam)); }
      if (q) { parts.push('q=' + encodeURIComponent(q)); }
      history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname + location.search);
    }
  }
  function read() {
    var params = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i > 0) { params[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); }
    });
    if (params.status !== undefined) {
      var wanted = params.status.split(',');
      boxes.forEach(function (b) { b.checked = wanted.indexOf(b.value) >= 0; });
    }
    if (params.family !== undefined) { family.value = params.family; }
    if (params.q !== undefined) { query.value = params.q; }
    apply(false);
  }
  family.addEventListener('change', function () { apply(true); });
  query.addEventListener('input', function () { apply(true); });
  boxes.forEach(function (b) { b.addEventListener('change', function () { apply(true); }); });
  Array.prototype.forEach.call(document.querySelectorAll('.matrix tr[data-family]'), function (row) {
    row.addEventListener('click', function () { family.value = row.dataset.family; apply(true); });
  });
  window.addEventListener('hashchange', read);
  document.body.classList.add('js');
  read();
})();
"""


def _e(value: object) -> str:
    return esc.html(value)


# The suite's own script, allowed by its hash: any other inline script (an escaping slip) is refused.
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(JS.encode("utf-8")).digest()).decode("ascii")


def _check_html(c: CheckResult) -> str:
    kind = outcome(c)
    first = c.message.strip().splitlines()[0] if c.message.strip() else ""
    body = []
    if c.known:
        raw, link = c.known.get("link"), esc.safe_link(c.known.get("link"))
        link_html = (f' — <a href="{_e(link)}" rel="noopener noreferrer">{_e(link)}</a>' if link
                     else (f" — {_e(raw)}" if raw else ""))
        since = f" (since {_e(c.known['since'])})" if c.known.get("since") else ""
        body.append(f'<p class="knownnote">Known deviation: {_e(c.known.get("reason", ""))}{since}{link_html}</p>')
    if c.blocked_by:
        body.append(f'<p class="knownnote">Blocked by <a href="#check-{_e(c.blocked_by)}">{_e(c.blocked_by)}</a>: '
                    f"its failure breaks the observation this check relies on.</p>")
    if c.proves:
        body.append(f"<h4>Must hold</h4><p>{_e(c.proves)}</p>")
    if c.message:
        body.append(f"<h4>{'Reason' if kind in ('skip', 'inconclusive') else 'Message'}</h4><pre>{_e(c.message)}</pre>")
    if c.expected is not None or c.actual is not None:
        body.append(f'<h4>Expected</h4><pre class="expected">{_e(as_text(c.expected))}</pre>'
                    f'<h4>Actual</h4><pre class="actual">{_e(as_text(c.actual))}</pre>')
    if c.reproduce:
        body.append(f'<h4>Reproduce</h4><pre class="reproduce">{_e(chr(10).join(c.reproduce))}</pre>')
    body.append(f'<p class="meta">{_e(c.level)} · {_e(c.requests)} request{"s" if c.requests != 1 else ""}</p>')
    opened = " open" if kind in ("fail", "should", "known") else ""
    return (f'<details class="check {kind}" id="check-{_e(c.name)}" data-family="{_e(c.family)}" '
            f'data-status="{kind}"{opened}><summary><span class="badge {kind}">{OUTCOME_LABELS[kind]}</span> '
            f'<span class="name">{_e(c.name)}</span> <span class="fam">{_e(c.family)} · {_e(c.level)}</span>'
            f'{" — <span class=msg>" + _e(first[:200]) + "</span>" if first else ""}</summary>'
            f'<div class="body">{"".join(body)}</div></details>')


def _baseline_html(report: RunReport) -> str:
    b = report.baseline
    if b is None:
        return ""

    def names(entries: list[dict]) -> str:
        return ", ".join(f"<code>{_e(e['check'])}</code>" for e in entries) or '<span class="empty">none</span>'

    items = [f"<li>known, not failing the run ({len(b['known'])}): {names(b['known'])}</li>"]
    if b["fixed"]:
        items.append(f"<li><strong>fixed</strong>: now passing, prune from the baseline ({len(b['fixed'])}): "
                     f"{names(b['fixed'])}</li>")
    if b.get("not_evaluated"):
        items.append(f"<li>not evaluated in this run ({len(b['not_evaluated'])}): {names(b['not_evaluated'])}</li>")
    return f'<section class="baseline"><h2>Baseline <code>{_e(b["file"])}</code></h2><ul>{"".join(items)}</ul></section>'


def report_html(report: RunReport) -> str:
    head = verdict(report)
    rows = []
    for family, counts in matrix(report):
        attr = f' data-family="{_e(family)}" title="show only {_e(family)}"' if family != "all" else ""
        cells = "".join(f'<td class="n{counts[o] and 1}">{counts[o]}</td>' for o in OUTCOMES)
        label = f"<strong>{_e(family)}</strong>" if family == "all" else _e(family)
        rows.append(f"<tr{attr}><td>{label}</td>{cells}</tr>")
    options = "".join(f'<option value="{_e(f)}">{_e(f)}</option>' for f in families(report))
    boxes = "".join(f'<label><input type="checkbox" name="status" value="{o}" checked> '
                    f'<span class="badge {o}">{OUTCOME_LABELS[o]}</span></label>' for o in OUTCOMES)
    fatal = f'<p class="knownnote">Run stopped: {_e(report.fatal)}</p>' if report.fatal else ""
    if report.interrupted:
        fatal += f'<p class="knownnote">Run interrupted ({_e(report.interrupted)}): unfinished checks not evaluated</p>'
    if report.reproduce_base == "$BASE_URL":
        fatal += (f'<p class="meta">Replayed from a recording of <code>{_e(report.recorded_from or "an unknown API")}'
                  f"</code>: the curl commands use <code>$BASE_URL</code>; set it to the API root (with its version "
                  f"prefix) and export the key to run them against the live API.</p>")
    elif report.reproduce_base:
        fatal += (f'<p class="meta">Replayed from a recording of <code>{_e(report.recorded_from)}</code>: '
                  f"the curl commands target it.</p>")
    checks = "\n".join(_check_html(c) for c in ordered(report))
    title = f"ticket-conformance: {report.vendor} ({report.target}) — {head}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '{SCRIPT_HASH}'; base-uri 'none'; form-action 'none'">
<title>{_e(title)}</title><style>{CSS}</style></head>
<body>
<header><h1>ticket-conformance: {_e(report.vendor)} ({_e(report.target)}) <span class="verdict {head.split()[0]}">{_e(head)}</span></h1>
<div class="meta"><code>{_e(report.base_url)}</code> · seed {_e(report.seed)} · {_e(report.requests)} requests ·
{report.duration_s:.1f} s · started {_e(report.started)}</div>
<div class="meta"><strong>{_e(totals(report))}</strong></div>{fatal}</header>
<main>
{_baseline_html(report)}
<h2>Checks by family</h2>
<table class="matrix"><thead><tr><th>family</th>{"".join(f"<th>{OUTCOME_LABELS[o]}</th>" for o in OUTCOMES)}</tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Checks</h2>
<div class="filters" role="search">
<label>family <select id="f-family"><option value="">all</option>{options}</select></label>
{boxes}
<label>text <input id="f-q" type="search" placeholder="name, message, curl…"></label>
<span class="meta">showing <span id="shown">{len(report.checks)}</span> of {len(report.checks)}</span>
</div>
<p id="none" class="empty" hidden>No check matches these filters.</p>
<div id="checks">
{checks}
</div>
</main>
<script>{JS}</script>
</body></html>
"""


__all__ = ["report_html"]
