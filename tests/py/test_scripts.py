"""The Python scripts' own rules, checked without running a sweep
(python3 -m unittest, run by make test): the percentile rule, CV with one
run, compare's warnings, and one look per transport."""
import csv
import importlib.machinery
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
# the build under test: make test sets it (build/san/bin under SANITIZE=1)
BINDIR = os.environ.get("IPCLAB_BINDIR", os.path.join(TOP, "bin"))
sys.path.insert(0, os.path.join(TOP, "scripts", "lib"))
import ipclab_results as R  # noqa: E402
import ipclab_styles as S  # noqa: E402


def load_script(name):
    path = os.path.join(TOP, "scripts", name)
    loader = importlib.machinery.SourceFileLoader("ipclab_" + name, path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


compare = load_script("compare")


class PercentileRule(unittest.TestCase):
    def row(self, messages):
        return {"messages": messages, "rtt_p50_ns": 100.0,
                "rtt_p99_ns": 900.0, "rtt_p999_ns": 5000.0}

    def test_samples_needed_grow_with_the_tail(self):
        self.assertEqual(R.samples_needed(0.50), 20)
        self.assertEqual(R.samples_needed(0.99), 1000)
        self.assertEqual(R.samples_needed(0.999), 10000)

    def test_a_tail_percentile_without_enough_samples_is_empty(self):
        r = self.row(60)
        self.assertEqual(R.percentile(r, "rtt_p50_ns"), 100.0)
        self.assertIsNone(R.percentile(r, "rtt_p99_ns"))
        self.assertIsNone(R.percentile(r, "rtt_p999_ns"))

    def test_enough_samples_show_it(self):
        r = self.row(10000)
        self.assertEqual(R.percentile(r, "rtt_p999_ns"), 5000.0)

    def test_cv_of_one_run_is_empty_not_zero(self):
        self.assertIsNone(R.cv_pct({"reps": 1, "cv_pct": 0.0}))
        self.assertEqual(R.cv_pct({"reps": 3, "cv_pct": 2.5}), 2.5)


class CompareWarnings(unittest.TestCase):
    BASE = {"host": "a", "cpu": "EPYC", "cores": "2", "kernel": "6.1",
            "sweep": "default", "ipclab": "0.1.0",
            "loadavg_at_start": "0.10", "loadavg_at_end": "0.20"}

    def test_same_runs_give_no_warning(self):
        self.assertEqual(compare.warnings(dict(self.BASE), dict(self.BASE)), [])

    def test_sweep_machine_and_load_differences_are_named(self):
        b = dict(self.BASE, sweep="quick", kernel="6.6",
                 loadavg_at_end="3.00")
        w = " | ".join(compare.warnings(dict(self.BASE), b))
        self.assertIn("sweep type", w)
        self.assertIn("kernel 6.1 vs 6.6", w)
        self.assertIn("load", w)

    def test_a_run_without_meta_is_said(self):
        w = compare.warnings({}, dict(self.BASE))
        self.assertTrue(any("run A has no meta" in x for x in w), w)

    def test_the_script_warns_on_stderr_and_still_compares(self):
        with tempfile.TemporaryDirectory() as tmp:
            for name, meta in (("a", self.BASE),
                               ("b", dict(self.BASE, sweep="quick"))):
                d = os.path.join(tmp, name)
                os.mkdir(d)
                src = os.path.join(TOP, "tests", "data", f"compare-{name}.csv")
                with open(src, encoding="utf-8") as f, \
                        open(os.path.join(d, "results.csv"), "w",
                             encoding="utf-8") as g:
                    g.write(f.read())
                with open(os.path.join(d, "meta.txt"), "w",
                          encoding="utf-8") as g:
                    g.write("".join(f"{k}={v}\n" for k, v in meta.items()))
            p = subprocess.run([os.path.join(TOP, "scripts", "compare"),
                                os.path.join(tmp, "a"), os.path.join(tmp, "b")],
                               capture_output=True, text=True, check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("warning: the runs differ in sweep type", p.stderr)
        self.assertIn("cells:", p.stdout)


class CompareByIntervals(unittest.TestCase):
    KEY = ("pipe", "throughput", 65536, "spread")

    def row(self, median, lo, hi):
        return {"transport": "pipe", "mode": "throughput", "status": "ok",
                "metric": "mb_per_s", "median": median, "min": lo * 0.5,
                "max": hi * 2, "ci_low": lo, "ci_high": hi}

    def test_apart_intervals_are_a_real_difference(self):
        c = compare.compare_cell(self.KEY, self.row(1000, 990, 1010),
                                 self.row(1100, 1090, 1110))
        self.assertEqual(c["kind"], "better")
        self.assertIn("faster by 10%", c["verdict"])
        self.assertIn("95 % CI", c["verdict"])

    def test_overlapping_intervals_are_no_difference(self):
        c = compare.compare_cell(self.KEY, self.row(1000, 900, 1100),
                                 self.row(1050, 950, 1150))
        self.assertEqual(c["kind"], "same")
        self.assertIn("no difference", c["verdict"])

    def test_latency_lower_is_faster(self):
        a = dict(self.row(500, 490, 510), mode="latency", metric="rtt_p50_ns")
        b = dict(self.row(600, 590, 610), mode="latency", metric="rtt_p50_ns")
        c = compare.compare_cell(("pipe", "latency", 64, "spread"), a, b)
        self.assertEqual(c["kind"], "worse")
        self.assertIn("slower by 20%", c["verdict"])


class OneLookPerTransport(unittest.TestCase):
    def transports(self):
        ipclab = os.path.join(BINDIR, "ipclab")
        if not os.access(ipclab, os.X_OK):
            self.skipTest("bin/ipclab is not built (make)")
        out = subprocess.run([ipclab, "list", "--format", "csv"],
                             capture_output=True, text=True, check=True).stdout
        rows = list(csv.reader(io.StringIO(out)))
        if rows and rows[0] and rows[0][0] in ("name", "transport"):
            rows = rows[1:]
        return [r[0] for r in rows if r]

    def test_every_transport_has_its_own_colour_and_marker(self):
        seen = {}
        styles = S.style_map(self.transports())
        for name in self.transports():
            style = styles[name]
            self.assertNotIn(style, seen,
                             f"{name} looks like {seen.get(style)}: {style}")
            seen[style] = name
        self.assertGreater(len(seen), 10)

    def test_the_tables_transports_keep_their_style_in_any_run(self):
        names = self.transports()
        self.assertEqual(S.style_map(names)["pipe"], S.transport_style("pipe"))
        self.assertEqual(S.style_map(["pipe", "zz/x"])["pipe"],
                         S.style_map(names)["pipe"])

    def test_a_style_does_not_depend_on_the_run(self):
        self.assertEqual(S.transport_style("pipe"), S.transport_style("pipe"))
        self.assertNotEqual(S.transport_style("posix_shm/spin"),
                            S.transport_style("posix_shm/spin/in-place"))


if __name__ == "__main__":
    unittest.main()
