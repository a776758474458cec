"""The scripts on the server family and the zero-copy pairs, without a
sweep (python3 -m unittest, run by make test): server rows stay out of the
one-producer-one-consumer charts and verdict, get their own charts and
report section; each zero-copy pair gets a sentence that says from which
size it wins; compare tells client counts apart; the sweep plan records a
server group."""
import csv
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "scripts", "lib"))
import ipclab_results as R  # noqa: E402
import sweep  # noqa: E402


def load_script(name):
    path = os.path.join(TOP, "scripts", name)
    loader = importlib.machinery.SourceFileLoader("ipclab_" + name, path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


plots = load_script("plots")
report = load_script("report")
compare = load_script("compare")

COLS = ["transport", "family", "mode", "size_bytes", "placement", "status",
        "reps", "metric", "median", "mb_per_s", "msgs_per_s", "rtt_p50_ns",
        "rtt_p99_ns", "cpu_ns_per_msg", "cpu_ms_per_mb", "messages", "verified",
        "note", "reason", "status_code", "clients", "consumer_cpu_ns_per_msg"]


def row(t, mode, size, **kw):
    r = {c: "" for c in COLS}
    r.update(transport=t, family="net" if t.startswith(("server", "tcp")) else "ipc",
             mode=mode, size_bytes=str(size), placement="spread", status="ok",
             reps="3", verified="yes", messages="100000")
    r.update({k: str(v) for k, v in kw.items()})
    return r


def server(model, via, clients, rps, p99):
    return row(f"server/{model}/{via}", "latency", 64, clients=clients, msgs_per_s=rps,
               rtt_p50_ns=p99 / 4, rtt_p99_ns=p99, metric="rtt_p50_ns",
               median=p99 / 4, consumer_cpu_ns_per_msg=10000,
               note=f"{clients} clients, 2 load processes, keep-alive, closed loop")


def fixture():
    rows = [
        # a copying twin and its zero-copy form: the form wins from 64 KiB
        row("pipe", "throughput", 4096, mb_per_s=3000, cpu_ms_per_mb=0.5),
        row("pipe", "throughput", 65536, mb_per_s=4000, cpu_ms_per_mb=0.4),
        row("pipe", "throughput", 1048576, mb_per_s=4000, cpu_ms_per_mb=0.4),
        row("vmsplice", "throughput", 4096, mb_per_s=2000, cpu_ms_per_mb=0.6),
        row("vmsplice", "throughput", 65536, mb_per_s=6000, cpu_ms_per_mb=0.2),
        row("vmsplice", "throughput", 1048576, mb_per_s=9000, cpu_ms_per_mb=0.1),
        row("pipe", "latency", 4096, rtt_p50_ns=9000, metric="rtt_p50_ns", median=9000),
    ]
    # epoll scales; iterative does not and its p99 explodes
    for c, e, i in ((1, 10000, 10000), (16, 60000, 10500), (64, 80000, 10400)):
        rows.append(server("epoll", "tcp", c, e, 200000))
        rows.append(server("iterative", "tcp", c, i, 200000 * c))
    return rows


def write(rows, d):
    with open(os.path.join(d, "results.csv"), "w", encoding="utf-8", newline="") as fp:
        w = csv.DictWriter(fp, fieldnames=COLS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    _, parsed = R.read_csv(os.path.join(d, "results.csv"))
    return parsed


class Servers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ipclab-families-")
        self.rows = write(fixture(), self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_server_rows_are_split_from_the_others(self):
        mine, srv = R.split_servers(self.rows)
        self.assertEqual(len(srv), 6)
        self.assertTrue(all(r["transport"].startswith("server/") for r in srv))
        self.assertFalse(any(r["transport"].startswith("server/") for r in mine))
        self.assertEqual(R.server_model(srv[0]), ("epoll", "tcp"))
        self.assertEqual(R.workload(srv[0]), ("keepalive", "closed"))

    def test_server_rows_have_their_own_charts_not_the_size_panels(self):
        charts = plots.all_charts(self.rows, {})
        names = [c["name"] for c in charts]
        self.assertIn("servers-rps", names)
        self.assertIn("servers-p99", names)
        for c in charts:
            if c["name"].startswith(("latency-", "ranked-latency")):
                self.assertNotIn("server/", c["vars"].get("names_1", "") +
                                 c["vars"].get("ynames", ""))
        rps = next(c for c in charts if c["name"] == "servers-rps")
        self.assertEqual(rps["vars"]["sizes"], '"1 16 64"')
        self.assertIn("epoll", rps["vars"]["names_1"])
        self.assertIn("iterative", rps["vars"]["names_1"])
        # one colour per model
        cols = rps["vars"]["colours_1"].strip('"').split()
        self.assertEqual(len(cols), len(set(cols)))

    def test_the_report_ranks_the_models_and_says_where_each_breaks(self):
        run = report.Run(self.rows, {})
        self.assertEqual(len(run.servers), 6)
        blocks = report.servers_blocks(run.servers)
        tables = [b for b in blocks if b[0] == "table"]
        self.assertEqual(len(tables), 1)
        self.assertEqual([r[1] for r in tables[0][2]], ["epoll", "iterative"])
        said = dict(next(b for b in blocks if b[0] == "ul")[1])
        self.assertIn("one client at a time", said["iterative:"])
        self.assertIn("p99 passes 10×", said["iterative:"])
        self.assertIn("grows 8× from 1 to 64 clients", said["epoll:"])
        self.assertIn("stays within 10×", said["epoll:"])
        # and the verdict speaks of the others only
        title, doc = report.document(run, [], False)
        verdict = next(b for b in doc if b[0] == "ul")
        self.assertFalse(any("server/" in text for _, text in verdict[1]))

    def test_compare_tells_client_counts_apart(self):
        keys = {compare.cell_key(r) for r in self.rows}
        self.assertEqual(len(keys), len(self.rows))

    def test_the_sweep_plan_records_a_server_group(self):
        p = sweep.plan(["pipe|64,1K 2M 500 0 2 5|all\n",
                        "server|64 - 2000 0 1 60|servers 1,16 connect\n"], "spread,same", "1",
                       "10")
        self.assertEqual(p["groups"][1]["mode"], "servers")
        self.assertEqual(p["groups"][1]["clients"], "1,16")
        self.assertEqual(p["groups"][1]["workload"], "connect")
        self.assertNotIn("interval", p["groups"][1])


class Copies(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ipclab-families-")
        self.rows = write(fixture(), self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_pair_is_found_only_when_both_were_measured(self):
        self.assertEqual([p[:2] for p in R.copy_pairs(["pipe", "vmsplice", "tcp"])],
                         [("pipe", "vmsplice")])
        self.assertEqual(R.copy_pairs(["pipe"]), [])
        self.assertEqual([p[:2] for p in R.copy_pairs(["tee/tee", "tee/write-twice",
                                                          "relay/unix/splice"])],
                         [("tee/write-twice", "tee/tee")])

    def test_the_report_says_from_which_size_the_form_wins(self):
        said = report.copies_paragraphs(report.Run(self.rows, {}))
        self.assertEqual(len(said), 1)
        text = said[0][1]
        self.assertIn("vmsplice moved more MB/s than pipe from 64 KiB on", text)
        self.assertIn("2.2× at 1 MiB", text)
        self.assertIn("saves 0.3 ms per MB", text)

    def test_a_form_that_never_wins_is_said_so(self):
        rows = [r for r in self.rows]
        for r in rows:
            if r["transport"] == "vmsplice":
                r["mb_per_s"] = 100.0
        said = report.copies_paragraphs(report.Run(rows, {}))
        self.assertIn("fewer MB/s than pipe at every size", said[0][1])

    def test_the_copies_charts_pair_twin_and_form(self):
        charts = {c["name"]: c for c in plots.all_charts(self.rows, {})}
        self.assertIn("copies-mbs-spread", charts)
        self.assertIn("copies-cpu-spread", charts)
        c = charts["copies-mbs-spread"]
        self.assertEqual(c["vars"]["names_1"], '"pipe vmsplice"')


class Cdf(unittest.TestCase):
    def test_raw_samples_give_a_cdf_of_bounded_size(self):
        with tempfile.TemporaryDirectory(prefix="ipclab-families-") as d:
            path = os.path.join(d, "samples.csv")
            with open(path, "w", encoding="utf-8") as fp:
                fp.write("transport,mode,size_bytes,placement,run,index,rtt_ns\n")
                for i in range(5000):
                    fp.write(f"pipe,latency,64,spread,1,{i},{1000 + i}\n")
                    fp.write(f"vmsplice,latency,64,spread,1,{i},{2000 + 3 * i}\n")
                    fp.write(f"pipe,paced,64,spread,1,{i},99\n")
            samples = plots.read_samples(path)
            self.assertEqual(sorted(samples), [("pipe", 64, "spread"), ("vmsplice", 64, "spread")])
            c = plots.cdf(samples, "spread", "")
            self.assertEqual(c["vars"]["names"], '"pipe vmsplice"')
            blocks = c["files"]["cdf.dat"].strip().split("\n\n\n")
            self.assertEqual(len(blocks), 2)
            first = blocks[0].split("\n")
            self.assertLessEqual(len(first), plots.CDF_POINTS + 1)
            self.assertEqual(first[-1], "5.999 1")      # the slowest, at 100 %
            self.assertEqual(first[0], "1 0.0002")

    def test_a_file_that_is_not_samples_is_refused(self):
        with tempfile.TemporaryDirectory(prefix="ipclab-families-") as d:
            path = os.path.join(d, "samples.csv")
            with open(path, "w", encoding="utf-8") as fp:
                fp.write("a,b\n1,2\n")
            with self.assertRaises(R.DataError):
                plots.read_samples(path)


class Advice(unittest.TestCase):
    def test_the_report_says_what_advise_says_per_size_and_goal(self):
        with tempfile.TemporaryDirectory(prefix="ipclab-families-") as d:
            rows = write(fixture(), d)
            blocks = report.advice_blocks(report.Run(rows, {}))
            self.assertEqual(blocks[0][:3], ("h", 2, "Which one, and why (ipclab advise)"))
            text = "\n".join(b[1] for b in blocks if b[0] == "pre")
            self.assertIn("4 KiB messages, goal latency", text)
            self.assertIn("1. pipe", text)
            self.assertIn("1 MiB messages, goal throughput", text)
            self.assertIn("1. vmsplice", text)
            self.assertNotIn("server/", text)


class Experiments(unittest.TestCase):
    """A lesson's experiment (it declares no syscalls per message) is not a
    channel: never the verdict's choice nor advise's, however cheap."""

    def test_an_experiment_is_not_chosen(self):
        cols = COLS + ["syscalls_send_declared"]
        rows = []
        for t, cpu, declared in (("pipe", 40000, "1"), ("sysv_msgq", 30000, "1"),
                                 ("timers/nanosleep", 100, "")):
            r = row(t, "paced", 64, rtt_p50_ns=20000, metric="rtt_p50_ns",
                    median=20000, cpu_ns_per_msg=cpu, interval_ns=100000)
            r["syscalls_send_declared"] = declared
            rows.append(r)
        with tempfile.TemporaryDirectory(prefix="ipclab-families-") as d:
            with open(os.path.join(d, "results.csv"), "w", encoding="utf-8",
                      newline="") as fp:
                w = csv.DictWriter(fp, fieldnames=cols + ["interval_ns"],
                                   lineterminator="\n", extrasaction="ignore")
                w.writeheader()
                w.writerows(rows)
            _, parsed = R.read_csv(os.path.join(d, "results.csv"))
        self.assertTrue(R.is_experiment(parsed[2]))
        self.assertFalse(R.is_experiment(parsed[0]))
        run = report.Run(parsed, {})
        bold, text = report.sparse_verdict(run, "spread", 100000)
        self.assertTrue(text.startswith("sysv_msgq costs the least CPU"), text)


class Timers(unittest.TestCase):
    """The timers lesson at several intervals (the sweep runs 100 us, 1 ms
    and 10 ms): the report gives each interval its lateness, compare keeps
    the intervals apart, the sweep plan records the group's option."""

    def rows(self):
        out = []
        for iv, late in ((100000, 60000), (1000000, 70000), (10000000, 180000)):
            out.append(row("timers/nanosleep", "latency", 0, rtt_p50_ns=iv + late,
                           metric="rtt_p50_ns", median=iv + late, interval_ns=iv,
                           note=f"interval {iv // 1000} us, timer slack 50000 ns"))
        return out

    def write(self, d):
        with open(os.path.join(d, "results.csv"), "w", encoding="utf-8",
                  newline="") as fp:
            w = csv.DictWriter(fp, fieldnames=COLS + ["interval_ns"],
                               lineterminator="\n", extrasaction="ignore")
            w.writeheader()
            w.writerows(self.rows())
        return R.read_csv(os.path.join(d, "results.csv"))[1]

    def test_the_report_states_the_lateness_at_each_interval(self):
        with tempfile.TemporaryDirectory(prefix="ipclab-families-") as d:
            run = report.Run(self.write(d), {})
        text = " ".join(t for _, t in report.lessons(run))
        for want in ("at 100 µs: nanosleep 60 µs", "at 1 ms: nanosleep 70 µs",
                     "at 10 ms: nanosleep 180 µs"):
            self.assertIn(want, text)
        self.assertLess(text.index("at 100 µs"), text.index("at 10 ms"))

    def test_compare_keeps_the_intervals_apart(self):
        with tempfile.TemporaryDirectory(prefix="ipclab-families-") as d:
            keys = {compare.cell_key(r) for r in self.write(d)}
        self.assertEqual(len(keys), 3, keys)

    def test_the_sweep_plan_records_the_option_of_a_group(self):
        p = sweep.plan(["timers/posix|64 2M 30 0 2 5|all --timer-us 100\n"],
                       "spread,same", "0", "10")
        self.assertEqual(p["groups"][0]["mode"], "all")
        self.assertEqual(p["groups"][0]["options"], "--timer-us 100")


@unittest.skipUnless(plots.have_gnuplot() if hasattr(plots, "have_gnuplot")
                     else __import__("shutil").which("gnuplot"), "gnuplot is not installed")
class OneTransport(unittest.TestCase):
    """A run of one transport at two placements draws its bar charts
    (gnuplot 5.4 crashed on a bar chart of one row whose labels all sat
    on one side of the base)."""

    def test_the_bar_charts_of_a_single_row_are_drawn(self):
        rows = [row("pipe", m, s, placement=pl, mb_per_s=1000 * k, msgs_per_s=1000,
                    rtt_p50_ns=10000 * k, metric="rtt_p50_ns" if m == "latency" else "mb_per_s",
                    median=10000 * k, cpu_ns_per_msg=5000)
                for m in ("throughput", "latency") for s in (64, 65536)
                for pl, k in (("spread", 2), ("same", 1))]
        with tempfile.TemporaryDirectory(prefix="ipclab-families-") as d:
            write(rows, d)
            p = subprocess.run([sys.executable, os.path.join(TOP, "scripts", "plots"), d],
                               capture_output=True, text=True, check=False)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(os.path.exists(os.path.join(d, "charts", "same-vs-spread.png")),
                            p.stderr)


class ReportOfServersOnly(unittest.TestCase):
    def test_a_run_of_servers_alone_gets_a_report(self):
        with tempfile.TemporaryDirectory(prefix="ipclab-families-") as d:
            write([r for r in fixture() if r["transport"].startswith("server/")], d)
            p = subprocess.run([sys.executable, os.path.join(TOP, "scripts", "report"), d],
                               capture_output=True, text=True, check=False)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(d, "report.md"), encoding="utf-8") as fp:
                text = fp.read()
            self.assertIn("## One server, many clients", text)


if __name__ == "__main__":
    unittest.main()
