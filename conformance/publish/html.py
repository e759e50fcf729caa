"""A self-contained HTML API reference for one spec: inline CSS and JS, nothing loaded from the network.

Shows every operation (method, path, operationId, summary, description, security), its parameters
(with type, constraints, enum values, default), request body and responses, every component schema
with its properties and enums, and every ``x-`` note (``x-source``, ``x-unverified``, ...) where it
applies, plus a list of all unverified facts and the changelog entry of this version.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html import escape
from typing import Any

from conformance.publish.changelog import Entry
from conformance.publish.lint import operations, resolve, walk, x_notes

CSS = """
:root{--line:#d0d5dd;--muted:#475467;--unv:#b54708}
*{box-sizing:border-box}
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#101828;display:flex}
nav{width:280px;flex:none;height:100vh;position:sticky;top:0;overflow:auto;border-right:1px solid var(--line);
 padding:14px;background:#f9fafb;font-size:13px}
nav ul{list-style:none;padding-left:0;margin:4px 0 12px}nav li{margin:2px 0}
nav a{color:#101828;text-decoration:none}nav a:hover{text-decoration:underline}
nav h3{font-size:12px;text-transform:uppercase;color:var(--muted);margin:12px 0 2px}
main{flex:1;min-width:0;padding:18px 28px;max-width:1100px}
h1{font-size:22px;margin:0}h2{font-size:18px;border-bottom:1px solid var(--line);padding-bottom:4px;margin-top:32px}
h3{font-size:16px;margin:0}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
code{background:#f2f4f7;padding:0 3px;border-radius:3px}
pre{background:#f2f4f7;padding:8px;border-radius:4px;overflow:auto}
.meta{color:var(--muted)}
.op,.schema{border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:14px 0;background:#fff}
.method{display:inline-block;min-width:58px;text-align:center;border-radius:4px;color:#fff;font-weight:700;
 font-size:12px;padding:2px 6px;text-transform:uppercase;margin-right:6px;background:#475467}
.method.get{background:#1570ef}.method.post{background:#067647}.method.put{background:#b54708}
.method.patch{background:#6941c6}.method.delete{background:#b42318}
.path{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:15px;font-weight:600}
table{border-collapse:collapse;width:100%;margin:6px 0}
td,th{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f9fafb;font-size:12px;text-transform:uppercase;color:var(--muted)}
.enum{display:inline-block;border:1px solid #b2ddff;background:#eff8ff;border-radius:10px;padding:0 7px;margin:1px;
 font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
.notes{list-style:none;padding:0;margin:6px 0}
.note{border-left:3px solid var(--line);padding:2px 8px;margin:3px 0;font-size:13px;background:#f9fafb}
.note.x-unverified{border-left-color:var(--unv);background:#fffaeb}
.note .key{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-weight:600;margin-right:6px}
.note.x-unverified .key{color:var(--unv)}
.req{color:#b42318;font-weight:600}
#q{width:100%;padding:4px 6px;margin-bottom:6px}
[hidden]{display:none!important}
"""

JS = """
(function () {
  var q = document.getElementById('q');
  var blocks = Array.prototype.slice.call(document.querySelectorAll('.op,.schema'));
  var links = Array.prototype.slice.call(document.querySelectorAll('nav li[data-target]'));
  q.addEventListener('input', function () {
    var text = q.value.trim().toLowerCase();
    blocks.forEach(function (b) { b.hidden = !!text && b.textContent.toLowerCase().indexOf(text) < 0; });
    links.forEach(function (li) {
      var target = document.getElementById(li.dataset.target);
      li.hidden = !!target && target.hidden;
    });
  });
})();
"""

CONSTRAINTS = ("format", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "minLength", "maxLength",
               "pattern", "minItems", "maxItems", "uniqueItems", "multipleOf")



# The page's own script, allowed by its hash (as report/html.py does): any other inline script, say an
# escaping slip in a spec's description, is refused by the browser.
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(JS.encode("utf-8")).digest()).decode("ascii")

def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def text_html(text: str) -> str:
    """The little markdown the specs use: paragraphs, "- " lists, `code`, **bold**, bare URLs."""
    def inline(line: str) -> str:
        parts = re.split(r"(`[^`]+`)", line)
        out = []
        for part in parts:
            if part.startswith("`") and part.endswith("`") and len(part) > 1:
                out.append(f"<code>{_e(part[1:-1])}</code>")
            else:
                chunk = _e(part)
                chunk = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", chunk)
                chunk = re.sub(r"(https?://[^\s)&<]+[^\s)&<.,;:])", r'<a href="\1">\1</a>', chunk)
                out.append(chunk)
        return "".join(out)

    blocks, para, items = [], [], []

    def flush() -> None:
        if para:
            blocks.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in str(text or "").splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith(("- ", "* ")):
            if para:
                flush()
            items.append(line[2:])
        elif items and raw.startswith("  "):
            items[-1] += " " + line
        else:
            if items:
                flush()
            para.append(line)
    flush()
    return "".join(blocks)


def notes_html(node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    notes = [(k, v) for k, v in node.items() if k.startswith("x-")]
    if not notes:
        return ""
    items = []
    for key, value in notes:
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        items.append(f'<li class="note {_e(key)}"><span class="key">{_e(key)}</span>{_e(shown)}</li>')
    return f'<ul class="notes">{"".join(items)}</ul>'


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_html(schema: Any, depth: int = 0) -> str:
    """A one-line type: links for $refs, unions, arrays, formats."""
    if not isinstance(schema, dict):
        return "any"
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        if "/schemas/" in schema["$ref"]:
            return f'<a href="#schema-{_e(name)}">{_e(name)}</a>'
        return _e(name)
    if depth > 4:
        return "…"
    for key, joiner in (("anyOf", " | "), ("oneOf", " | "), ("allOf", " &amp; ")):
        if key in schema:
            inner = joiner.join(type_html(s, depth + 1) for s in schema[key])
            return f"{key}({inner})"
    types = schema.get("type")
    if types is None:
        if "const" in schema:
            return f"const {_e(json.dumps(schema['const']))}"
        if "enum" in schema:
            return "enum"
        return "object" if "properties" in schema else "any"
    names = types if isinstance(types, list) else [types]
    rendered = []
    for t in names:
        if t == "array":
            rendered.append(f"array of {type_html(schema.get('items'), depth + 1)}")
        else:
            rendered.append(_e(t))
    text = " | ".join(rendered)
    if schema.get("format"):
        text += f" <span class=meta>({_e(schema['format'])})</span>"
    return text


def constraints_html(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    parts = []
    if isinstance(schema.get("enum"), list):
        parts.append("enum: " + " ".join(f'<span class="enum">{_e(json.dumps(v, ensure_ascii=False))}</span>'
                                         for v in schema["enum"]))
    for key in CONSTRAINTS:
        if key in schema and key != "format":
            parts.append(f"{key}: <code>{_e(json.dumps(schema[key]))}</code>")
    if "default" in schema:
        parts.append(f"default: <code>{_e(json.dumps(schema['default'], ensure_ascii=False))}</code>")
    if schema.get("additionalProperties") is False:
        parts.append("no other properties")
    elif schema.get("additionalProperties") is True and schema.get("type") == "object":
        parts.append("other properties allowed")
    return "<br>".join(parts)


def properties_html(schema: dict) -> str:
    props = schema.get("properties") or {}
    if not props:
        return ""
    required = set(schema.get("required") or [])
    rows = []
    for name, prop in props.items():
        desc = text_html(prop.get("description", "")) if isinstance(prop, dict) else ""
        rows.append(f'<tr id="{_e("prop-" + name)}"><td><code>{_e(name)}</code>'
                    f'{" <span class=req>required</span>" if name in required else ""}</td>'
                    f"<td>{type_html(prop)}</td><td>{constraints_html(prop)}</td>"
                    f"<td>{desc}{notes_html(prop)}{_variants_html(prop)}</td></tr>")
    return ("<table class=props><thead><tr><th>property</th><th>type</th><th>constraints / enum</th>"
            f"<th>description</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _variants_html(schema: Any) -> str:
    """anyOf/oneOf/allOf members that carry their own description or properties."""
    if not isinstance(schema, dict):
        return ""
    out = []
    for key in ("anyOf", "oneOf", "allOf"):
        for index, member in enumerate(schema.get(key) or []):
            if isinstance(member, dict) and "$ref" not in member and (member.get("description") or
                                                                      member.get("properties")):
                out.append(f"<div class=variant><p class=meta>{key}[{index}]: {type_html(member)}</p>"
                           f"{text_html(member.get('description', ''))}{constraints_html(member)}"
                           f"{properties_html(member)}{notes_html(member)}</div>")
    return "".join(out)


def schema_block_html(schema: Any) -> str:
    """A schema in place (request body, response): its type line, and its properties if inline."""
    if not isinstance(schema, dict):
        return ""
    parts = [f"<p>schema: {type_html(schema)}</p>"]
    if "$ref" not in schema:
        parts += [constraints_html(schema), text_html(schema.get("description", "")), properties_html(schema),
                  _variants_html(schema), notes_html(schema)]
    return "".join(parts)


def _anchor(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")


def operation_html(spec: dict, path: str, method: str, op: dict, item: dict) -> str:
    op_id = op.get("operationId") or f"{method}-{path}"
    anchor = "op-" + _anchor(op_id)
    security = op.get("security", spec.get("security")) or []
    sec = ", ".join(f"<code>{_e(name)}</code>" + (f" ({_e(', '.join(scopes))})" if scopes else "")
                    for req in security for name, scopes in req.items()) or "none"
    out = [f'<section class="op" id="{_e(anchor)}"><h3><span class="method {_e(method)}">{_e(method)}</span>'
           f'<span class="path">{_e(path)}</span></h3>',
           f'<p class="meta">operationId <code class="operation-id">{_e(op_id)}</code>'
           + (f" · tags {_e(', '.join(op.get('tags') or []))}" if op.get("tags") else "")
           + f" · security {sec}</p>"]
    if op.get("summary"):
        out.append(f"<p><strong>{_e(op['summary'])}</strong></p>")
    out.append(text_html(op.get("description", "")))
    out.append(notes_html(op))
    params = [*(item.get("parameters") or []), *(op.get("parameters") or [])]
    if params:
        rows = []
        for raw in params:
            p = resolve(spec, raw) or {}
            schema = p.get("schema") or {}
            ref = f' <span class="meta">({_e(_ref_name(raw["$ref"]))})</span>' if "$ref" in raw else ""
            rows.append(f'<tr class="param"><td><code>{_e(p.get("name", "?"))}</code>{ref}'
                        f'{" <span class=req>required</span>" if p.get("required") else ""}</td>'
                        f'<td>{_e(p.get("in", ""))}</td><td>{type_html(schema)}</td><td>{constraints_html(schema)}</td>'
                        f'<td>{text_html(p.get("description", ""))}{notes_html(p)}{notes_html(schema)}</td></tr>')
        out.append("<h4>Parameters</h4><table class=params><thead><tr><th>name</th><th>in</th><th>type</th>"
                   f"<th>constraints / enum</th><th>description</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    body = resolve(spec, op.get("requestBody")) if op.get("requestBody") else None
    if isinstance(body, dict):
        out.append(f"<h4>Request body{' <span class=req>required</span>' if body.get('required') else ''}</h4>")
        out.append(text_html(body.get("description", "")) + notes_html(body))
        for media, content in (body.get("content") or {}).items():
            out.append(f"<p class=meta>{_e(media)}</p>{schema_block_html((content or {}).get('schema'))}")
    responses = op.get("responses") or {}
    if responses:
        rows = []
        for status, raw in responses.items():
            resp = resolve(spec, raw) or {}
            ref = f' <span class="meta">({_e(_ref_name(raw["$ref"]))})</span>' if isinstance(raw, dict) and "$ref" in raw else ""
            content = "".join(f"<p class=meta>{_e(m)}</p>{schema_block_html((c or {}).get('schema'))}"
                              for m, c in (resp.get("content") or {}).items())
            rows.append(f"<tr><td><code>{_e(status)}</code>{ref}</td><td>{text_html(resp.get('description', ''))}"
                        f"{notes_html(resp)}</td><td>{content}</td></tr>")
        out.append("<h4>Responses</h4><table class=responses><thead><tr><th>status</th><th>description</th>"
                   f"<th>body</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    out.append("</section>")
    return "".join(out)


def component_schema_html(name: str, schema: dict) -> str:
    required = schema.get("required") or []
    return (f'<section class="schema" id="schema-{_e(name)}"><h3>{_e(name)}</h3>'
            f'<p class="meta">{type_html(schema)}'
            + (f" · required: {', '.join(f'<code>{_e(r)}</code>' for r in required)}" if required else "")
            + f"</p>{text_html(schema.get('description', ''))}{notes_html(schema)}"
            f"<p>{constraints_html(schema)}</p>{properties_html(schema)}{_variants_html(schema)}"
            + (f"<p>items: {type_html(schema['items'])}</p>" if isinstance(schema.get("items"), dict) else "")
            + "</section>")


def _note_link(spec: dict, where: str) -> str:
    """Link an x- note's location to the operation or schema that holds it."""
    match = re.match(r"components\.schemas\.([^.\[]+)", where)
    if match:
        return f"#schema-{match.group(1)}"
    for path, method, op, _ in operations(spec):
        if where.startswith(f"paths.{path}.{method}"):
            return "#op-" + _anchor(op.get("operationId") or f"{method}-{path}")
    match = re.match(r"components\.(parameters|responses)\.([^.\[]+)", where)
    if match:
        ref = f"#/components/{match.group(1)}/{match.group(2)}"
        for path, method, op, item in operations(spec):
            if any(isinstance(n, dict) and n.get("$ref") == ref for _, n in walk(op)):
                return "#op-" + _anchor(op.get("operationId") or f"{method}-{path}")
    return "#top"


def render(spec: dict, vendor: str, changelog: Entry | None = None, lint_lines: list[str] | None = None) -> str:
    info = spec.get("info") or {}
    title = str(info.get("title") or vendor)
    version = str(info.get("version", "?"))
    ops = list(operations(spec))
    schemas = (spec.get("components") or {}).get("schemas") or {}
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    unverified = [(w, t) for w, k, t in x_notes(spec) if k == "x-unverified"]

    nav = ['<input id="q" type="search" placeholder="filter operations and schemas">', "<h3>Operations</h3><ul>"]
    for path, method, op, _ in ops:
        anchor = "op-" + _anchor(op.get("operationId") or f"{method}-{path}")
        nav.append(f'<li data-target="{_e(anchor)}"><a href="#{_e(anchor)}"><span class="mono">{_e(method.upper())}'
                   f"</span> {_e(path)}</a></li>")
    nav.append("</ul><h3>Schemas</h3><ul>")
    nav += [f'<li data-target="schema-{_e(n)}"><a href="#schema-{_e(n)}">{_e(n)}</a></li>' for n in schemas]
    nav.append('</ul><h3>More</h3><ul><li><a href="#security">Security</a></li>'
               f'<li><a href="#unverified">Unverified facts ({len(unverified)})</a></li>'
               '<li><a href="#enums">Enums</a></li><li><a href="#changelog">Changelog</a></li></ul>')

    servers = "".join(f"<li><code>{_e(s.get('url'))}</code> {text_html(s.get('description', ''))}</li>"
                      for s in spec.get("servers") or [] if isinstance(s, dict))
    security = "".join(f"<tr><td><code>{_e(n)}</code></td><td>{_e(s.get('type'))} {_e(s.get('scheme', ''))}"
                       f"{_e(' ' + s['in'] + ': ' + s['name']) if s.get('in') and s.get('name') else ''}</td>"
                       f"<td>{text_html(s.get('description', ''))}{notes_html(s)}</td></tr>"
                       for n, s in schemes.items())
    enums = []
    for where, node in walk(spec):
        if isinstance(node, dict) and isinstance(node.get("enum"), list):
            enums.append(f'<tr><td><a href="{_note_link(spec, where)}">{_e(where)}</a></td>'
                         f"<td>{constraints_html({'enum': node['enum']})}</td></tr>")
    unv_rows = "".join(f'<tr><td><a href="{_note_link(spec, w)}">{_e(w)}</a></td><td>{_e(t)}</td></tr>'
                       for w, t in unverified)
    change = (f"<h3>{_e(changelog.heading)}</h3>{text_html(changelog.body)}" if changelog
              else "<p>No changelog entry for this version.</p>")
    lint_html = ""
    if lint_lines:
        lint_html = "<h2 id=lint>Lint</h2><pre>" + _e("\n".join(lint_lines)) + "</pre>"

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '{SCRIPT_HASH}'; base-uri 'none'; form-action 'none'">
<title>{_e(title)} {_e(version)} — API reference</title><style>{CSS}</style></head>
<body><nav>{''.join(nav)}</nav>
<main id="top">
<h1>{_e(title)}</h1>
<p class="meta">version <strong id="version">{_e(version)}</strong> · OpenAPI {_e(spec.get('openapi'))} ·
{len(ops)} operations · {len(schemas)} schemas · {len(unverified)} unverified facts</p>
{text_html(info.get('description', ''))}{notes_html(info)}
<h2>Servers</h2><ul>{servers}</ul>
<h2 id="operations">Operations</h2>
{''.join(operation_html(spec, path, method, op, item) for path, method, op, item in ops)}
<h2 id="schemas">Schemas</h2>
{''.join(component_schema_html(n, s) for n, s in schemas.items() if isinstance(s, dict))}
<h2 id="security">Security</h2>
<table><thead><tr><th>scheme</th><th>type</th><th>description</th></tr></thead><tbody>{security}</tbody></table>
<h2 id="enums">Enums</h2>
<table><thead><tr><th>where</th><th>values</th></tr></thead><tbody>{''.join(enums)}</tbody></table>
<h2 id="unverified">Unverified facts</h2>
<p>Where the vendor documentation is silent or unreadable, the spec is deliberately permissive and says so
with <code>x-unverified</code>.</p>
<table><thead><tr><th>where</th><th>why</th></tr></thead><tbody>{unv_rows}</tbody></table>
<h2 id="changelog">Changelog</h2>{change}
{lint_html}
</main>
<script>{JS}</script>
</body></html>
"""


__all__ = ["render", "text_html", "type_html"]
