"""ipclab_styles - how each transport looks in the charts of scripts/plots:
its colour and gnuplot marker (the same in every chart of a run, and for the
transports of the tables below the same in every run), and the small-multiple
panel it is drawn in.  Standard library only; data in, data out.
"""

# A fixed palette keyed on the name: the mechanism (the name up to its first
# "/") gives the colour, the variant (the rest) the marker; "/in-place"
# variants get the open marker of the same shape.  Limit rows are black.
# Colours are chosen so that the mechanisms drawn in one panel (one family
# group) are far apart; a mechanism not in the table gets a colour from
# EXTRA_COLOURS by a hash of its name, so it is still the same everywhere.
MECH_COLOURS = {
    "pipe": "#1f77b4", "fifo": "#17becf", "vmsplice": "#6b6ecf",
    "sysv_msgq": "#8c564b", "posix_mq": "#e7969c",
    "socketpair": "#2ca02c", "unix": "#bcbd22",
    "posix_shm": "#d62728", "sysv_shm": "#ff7f0e", "mmap_anon": "#9467bd",
    "mmap_file": "#e377c2",
    "tcp": "#7f7f7f", "udp": "#00a087",
    "signal": "#393b79", "rt_signal": "#8c6d31", "sigchld": "#637939",
    "coalesce": "#843c39",
}
# The limit rows: black, open markers, dashed lines (the .gp files).
FULL_STYLES = {"memcpy": ("#000000", 6), "cacheline": ("#000000", 12)}
EXTRA_COLOURS = ("#7b4173", "#3182bd", "#e6550d", "#969696", "#a55194",
                 "#5254a3", "#b5cf6b", "#de9ed6")
# gnuplot point types: filled square 5, circle 7, triangle 9, triangle
# down 11, diamond 13, pentagon 15; the open shape is one less.
VARIANT_POINTS = {
    "": 7, "spin": 5, "futex": 7, "sem": 9, "eventfd": 13,
    "stream": 5, "dgram": 7, "seqpacket": 9,
    "sigsuspend": 5, "sigwaitinfo": 7, "signalfd": 9,
    "fork-reap": 5, "reap-many": 7, "standard": 5, "realtime": 7,
}
EXTRA_POINTS = (11, 13, 15)


def _hash(name):
    import zlib
    return zlib.crc32(name.encode("utf-8"))


# Styles settled for the transports of one run (use_styles_for): the
# fixed ones above, and for every other transport the first free pair, so
# that no two transports of a run ever look alike.
_STYLE_MAP = {}
ALL_POINTS = (5, 7, 9, 11, 13, 15, 4, 6, 8, 10, 12, 14, 1, 2, 3)


def _preferred_style(name):
    if name in FULL_STYLES:
        return FULL_STYLES[name]
    mech, _, variant = name.partition("/")
    colour = MECH_COLOURS.get(mech) or EXTRA_COLOURS[_hash(mech) % len(EXTRA_COLOURS)]
    in_place = variant == "in-place" or variant.endswith("/in-place")
    if in_place:
        variant = variant[:-len("in-place")].rstrip("/")
    pt = VARIANT_POINTS.get(variant)
    if pt is None:
        pt = EXTRA_POINTS[_hash(variant) % len(EXTRA_POINTS)]
    return colour, pt - 1 if in_place else pt


def _fixed(name):
    """Is the preferred style of name entirely from the tables (it then
    wins over a hashed one)?"""
    if name in FULL_STYLES:
        return True
    mech, _, variant = name.partition("/")
    variant = variant.removesuffix("in-place").rstrip("/")
    return mech in MECH_COLOURS and variant in VARIANT_POINTS


def style_map(names):
    """{name: (colour, point)}: the fixed styles first, then each other
    name (in sorted order) its preferred style, or when a transport already
    has that, the next free pair of its colour, then of the other colours."""
    names = sorted(set(names))
    out, used = {}, set()
    for n in [n for n in names if _fixed(n)] + [n for n in names if not _fixed(n)]:
        colour, pt = _preferred_style(n)
        if (colour, pt) in used:
            colours = [colour] + [c for c in list(MECH_COLOURS.values()) +
                                  list(EXTRA_COLOURS) if c != colour]
            free = ((c, p) for c in colours for p in ALL_POINTS
                    if (c, p) not in used)
            colour, pt = next(free, (colour, pt))
        out[n] = (colour, pt)
        used.add((colour, pt))
    return out


def use_styles_for(names):
    """Settle the styles of one run's transports (scripts/plots does this
    once, before drawing, so every chart of the run agrees)."""
    _STYLE_MAP.clear()
    _STYLE_MAP.update(style_map(names))


def transport_style(name):
    """(colour "#rrggbb", gnuplot point type) of a transport, the same in
    every chart of a run; the tables' transports the same in every run."""
    if name in _STYLE_MAP:
        return _STYLE_MAP[name]
    return _preferred_style(name)


# The panels of the small multiples: (title, test on mechanism and family).
PANELS = (
    ("shared memory", ("posix_shm", "sysv_shm", "mmap_anon", "mmap_file")),
    ("sockets", ("socketpair", "unix")),
    ("pipes and queues", ("pipe", "fifo", "vmsplice", "sysv_msgq", "posix_mq")),
    ("net", ()),
    ("signals", ()),
)


def panel_of(name, family):
    """The small-multiple panel a transport is drawn in ("" for limit rows,
    which are drawn in every panel as the reference)."""
    if family == "limit":
        return ""
    mech = name.partition("/")[0]
    for title, mechs in PANELS:
        if mech in mechs:
            return title
    if family == "net":
        return "net"
    if family == "signals":
        return "signals"
    return "other " + family if family else "other"


def panel_order():
    return [p[0] for p in PANELS]
