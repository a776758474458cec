"""plots_gnuplot - a chart as data, and gnuplot drawing it (scripts/plots).

A chart is a dict: its name, the static style file in scripts/gp/ that draws
it, its size, its caption, the gnuplot variables handed to that file and the
data files it reads.  hbars() and lines_chart() build the two generic kinds
(horizontal bars, small multiples over size); render() writes a chart's
files into a scratch directory and runs gnuplot twice, PNG and SVG.
Standard library only.
"""

import math
import os
import subprocess

# The static style files, beside this folder (scripts/gp, installed too).
GPDIR = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "gp")


def gq(s):
    """A gnuplot double-quoted string."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dq(s):
    """A quoted string in a gnuplot data file."""
    return '"' + str(s).replace('"', "'") + '"'


def rgb_int(colour):
    return int(colour.lstrip("#"), 16)


def floor10(x):
    return 10 ** math.floor(math.log10(x))


def ceil10(x):
    return 10 ** math.ceil(math.log10(x))


def chart(name, gp, width, height, caption, variables, files):
    return {"name": name, "gp": gp, "width": width, "height": height,
            "caption": caption, "vars": variables, "files": files}


def hbars(name, title, caption, xlabel, rows, series_titles, base=None, ref=0,
          reflabel="", legend=None, width=1400):
    """Horizontal bars.  rows: [(name, [(value or None, colour, label)...])]
    top first.  Returns a chart or None when no row has a value."""
    rows = [r for r in rows if any(v is not None and v > 0 for v, _, _ in r[1])]
    if not rows:
        return None
    nser = len(rows[0][1])
    vals = [v for _, ser in rows for v, _, _ in ser if v is not None and v > 0]
    lo = floor10(min(vals + ([base] if base else [])))
    hi = max(vals + ([base] if base else []) + ([ref] if ref else []))
    # room on the right of each bar for its label (a character: some
    # 1/120 of the width)
    span = math.log10(hi * 4 / lo)
    for _, ser in rows:
        for v, _, lab in ser:
            if v is not None and v > 0:
                span = max(span, math.log10(v * 1.08 / lo) / max(0.3, 1 - len(lab) / 120))
    if ref and reflabel:
        span = max(span, math.log10(ref / lo) / max(0.3, 1 - len(reflabel) / 120))
    lines = []
    n = len(rows)
    for i, (_, ser) in enumerate(rows):
        cells = [str(n - i)]
        for v, colour, lab in ser:
            cells += ["-" if v is None or v <= 0 else f"{v:.6g}", str(rgb_int(colour)), dq(lab)]
        lines.append(" ".join(cells))
    have = [str(s + 1) for s in range(nser)
            if any(ser[s][0] is not None and ser[s][0] > 0 for _, ser in rows)]
    var = {"title": gq(title), "xlabel": gq(xlabel), "data": "datadir.'/bars.dat'",
           "nrows": n, "ynames": gq(" ".join(t for t, _ in rows)), "xmin": lo,
           "xmax": lo * 10 ** span, "base": base if base else lo,
           "series": gq(" ".join(have)), "nseries": nser, "ref": ref or 0,
           "reflabel": gq(reflabel)}
    legend = legend or []
    var["legend_n"] = len(legend)
    for k, (t, c) in enumerate(legend, 1):
        var[f"legend_title_{k}"] = gq(t)
        var[f"legend_colour_{k}"] = gq(c)
    h = max(520, 170 + int(26 * n * (1.4 if nser > 1 else 1)))
    # each bar's label at its end (hbars.gp: half, off(s))
    half_off = [0.0] if nser == 1 else [((nser + 1) / 2.0 - s) * 0.36
                                         for s in range(1, nser + 1)]
    b = base if base else lo
    labels = []
    for i, (_, ser) in enumerate(rows):
        for s, (v, _, lab) in enumerate(ser):
            if v is None or v <= 0 or not lab:
                continue
            x, side = (v * 1.06, "left") if v >= b else (v / 1.06, "right")
            labels.append(f"set label {gq(lab)} at {x:.6g}, {n - i + half_off[s]:.6g} "
                          f"{side} boxed front font ',9'")
    return chart(name, "hbars.gp", width, h, caption, var,
                 {"bars.dat": "\n".join(lines) + "\n", "labels.gp": "\n".join(labels) + "\n"})


def lines_chart(name, caption, title, ylabel, xlabel, panels, xs, xlabels):
    """Small multiples drawn by size-panels.gp: panels [(title, [(legend
    name, (colour, point), [(x, y)])])], x on a log-2 axis at xs (labelled
    xlabels).  None when no panel has a point."""
    panels = [(pt, [ln for ln in lines if ln[2]]) for pt, lines in panels]
    panels = [(pt, lines) for pt, lines in panels if lines]
    if not panels:
        return None
    values = [y for _, lines in panels for _, _, pts in lines for _, y in pts]
    files, var = {}, {}
    for i, (pt, lines) in enumerate(panels, 1):
        files[f"panel{i}.dat"] = "\n\n\n".join(
            "\n".join(f"{x} {y:.6g} {y:.6g} {y:.6g}" for x, y in pts)
            for _, _, pts in lines) + "\n"
        styles = [st for _, st, _ in lines]
        var[f"panel_title_{i}"] = gq(pt)
        var[f"data_{i}"] = "datadir.'/" + f"panel{i}.dat'"
        var[f"names_{i}"] = gq(" ".join(n for n, _, _ in lines))
        var[f"colours_{i}"] = gq(" ".join(c for c, _ in styles))
        var[f"points_{i}"] = gq(" ".join(str(pt_) for _, pt_ in styles))
    files["ref.dat"] = "- -\n"
    n = len(panels)
    cols = 1 if n == 1 else (3 if n >= 5 else 2)
    rows = (n + cols - 1) // cols
    var.update(title=gq(title), ylabel=gq(ylabel), xlabel=gq(xlabel), npanels=n,
               layout_rows=rows, layout_cols=cols, xmin=xs[0] / 1.6, xmax=xs[-1] * 1.6,
               ymin=floor10(min(values)), ymax=ceil10(max(values) * 1.3),
               sizes=gq(" ".join(str(x) for x in xs)), size_labels=gq(" ".join(xlabels)),
               whiskers=0, refdata="datadir.'/ref.dat'", reftitle=gq(""))
    return chart(name, "size-panels.gp", 1400, 90 + 430 * rows, caption, var, files)


def render(c, outdir, work):
    """Draw one chart as PNG and SVG; returns error text ("" when fine)."""
    cdir = os.path.join(work, c["name"])
    os.makedirs(cdir)
    for fname, text in c["files"].items():
        with open(os.path.join(cdir, fname), "w", encoding="utf-8") as fp:
            fp.write(text)
    with open(os.path.join(cdir, "vars.gp"), "w", encoding="utf-8") as fp:
        fp.write(f"gpdir = {gq(GPDIR)}\ndatadir = {gq(cdir)}\n")
        for k, v in c["vars"].items():
            fp.write(f"{k} = {v}\n")
    errors = []
    for fmt in ("png", "svg"):
        term = (f"set terminal pngcairo size {c['width']},{c['height']} font 'DejaVu Sans,11' "
                "background '#ffffff'" if fmt == "png" else
                f"set terminal svg size {c['width']},{c['height']} font 'DejaVu Sans,12' "
                "background '#ffffff'")
        out = os.path.join(outdir, f"{c['name']}.{fmt}")
        cmd = f"{term}; set output {gq(out)}; load {gq(os.path.join(cdir, 'vars.gp'))}"
        p = subprocess.run(["gnuplot", "-e", cmd, os.path.join(GPDIR, c["gp"])],
                           capture_output=True, text=True, check=False)
        err = p.stderr.strip()
        if p.returncode != 0:
            if os.path.exists(out):
                os.unlink(out)
            errors.append(f"gnuplot failed on {c['name']}.{fmt}: " +
                          " / ".join(err.splitlines()[-3:]))
        elif "warning" in err.lower():
            errors.append(f"{c['name']}.{fmt}: " + " / ".join(
                line.strip() for line in err.splitlines() if "arning" in line))
    return "\n".join(errors)


def forget_old_charts(outdir):
    """Remove the charts an earlier run of plots drew here (charts.tsv
    lists them), so that a chart this run does not draw is not left over."""
    try:
        with open(os.path.join(outdir, "charts.tsv"), encoding="utf-8") as fp:
            names = [line.split("\t", 1)[0] for line in fp if line.strip()]
    except OSError:
        return
    for n in names:
        for ext in ("png", "svg"):
            path = os.path.join(outdir, f"{n}.{ext}")
            if "/" not in n and os.path.exists(path):
                os.unlink(path)
