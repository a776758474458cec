"""report_render - the report's blocks written out, as Markdown (report.md)
and as a static HTML page (index.html: no JavaScript, nothing fetched), and
written atomically.

A block is ("h", level, text, id), ("p", text), ("pre", text),
("ul", [(bold, text)]), ("table", header, rows) or ("fig", name, caption);
a figure is charts/NAME.png, linked to charts/NAME.svg.  Standard library
only.
"""

import html
import os


def to_markdown(doc):
    out = []

    def cell(x):
        return str(x).replace("|", "\\|")
    for b in doc:
        if b[0] == "h":
            out.append("#" * b[1] + " " + b[2] + "\n")
        elif b[0] == "p":
            out.append(b[1] + "\n")
        elif b[0] == "pre":
            out.append("```\n" + b[1] + "\n```\n")
        elif b[0] == "ul":
            out.append("\n".join(f"- **{bold}** {text}" for bold, text in b[1]) + "\n")
        elif b[0] == "table":
            head = b[1]
            right = ("rank", "CPU", "RTT", "one-way", "same", "spread", "req/s", "p99", "server")
            lines = ["| " + " | ".join(head) + " |",
                     "|" + "|".join("---:" if h.startswith(right) else "---" for h in head) + "|"]
            lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in b[2]]
            out.append("\n".join(lines) + "\n")
        elif b[0] == "fig":
            out.append(f"![{b[2]}](charts/{b[1]}.png)\n\n*{b[2]}* ([SVG](charts/{b[1]}.svg))\n")
    return "\n".join(out)


STYLE = """body{font-family:sans-serif;max-width:1200px;margin:.5em auto;padding:0 1em;color:#222}
h1{font-size:1.5em;margin:.3em 0}h2{margin:1.2em 0 .4em}
#verdict+ul li{margin:.25em 0}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
th{background:#f0f0f0}img{max-width:100%;height:auto;border:1px solid #eee}figure{margin:1em 0 2em}
figcaption{font-size:.9em;color:#555}"""


def to_html(title, doc, has_readme):
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(title)}</title>", f"<style>\n{STYLE}\n</style>", "</head>", "<body>"]
    for b in doc:
        if b[0] == "h":
            out.append(f'<h{b[1]} id="{e(b[3])}">{e(b[2])}</h{b[1]}>')
        elif b[0] == "pre":
            out.append(f"<pre>{e(b[1])}</pre>")
        elif b[0] == "p":
            text = e(b[1])
            if has_readme and b[1].startswith("How it was produced"):
                text = ('How it was produced (the exact commands): <a href="README.md">README.md</a>. '
                        'Data: <a href="results.csv">results.csv</a>, '
                        '<a href="results.json">results.json</a>.')
            out.append(f"<p>{text}</p>")
        elif b[0] == "ul":
            out.append("<ul>" + "".join(f"<li><b>{e(bold)}</b> {e(text)}</li>"
                                        for bold, text in b[1]) + "</ul>")
        elif b[0] == "table":
            rows = ["<tr>" + "".join(f"<th>{e(h)}</th>" for h in b[1]) + "</tr>"]
            rows += ["<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>" for r in b[2]]
            out.append("<table>\n" + "\n".join(rows) + "\n</table>")
        elif b[0] == "fig":
            n, cap = e(b[1]), e(b[2])
            out.append(f'<figure id="{n}"><a href="charts/{n}.svg"><img src="charts/{n}.png" '
                       f'alt="{cap}"></a>\n<figcaption>{cap} (<a href="charts/{n}.svg">SVG</a>)'
                       "</figcaption></figure>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fp:
        fp.write(text)
    os.replace(tmp, path)
