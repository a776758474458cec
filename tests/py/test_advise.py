"""ipclab advise on a fixed CSV (tests/data/results-small.csv): the ranking,
the tie rule, the reasons, and clear errors (python3 -m unittest)."""
import importlib.machinery
import importlib.util
import os
import re
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
SCRIPT = os.path.join(TOP, "scripts", "advise")
FIXTURE = os.path.join(TOP, "tests", "data", "results-small.csv")


def load():
    loader = importlib.machinery.SourceFileLoader("ipclab_advise", SCRIPT)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


A = load()


def run(*args):
    return subprocess.run([SCRIPT] + list(args), capture_output=True,
                          text=True, check=False)


class Ranking(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        _, cls.rows = A.R.read_csv(FIXTURE)

    def shortlist(self, size, goal, placement="spread"):
        lines = A.advise(self.rows, size, goal, placement)
        return [m.group(1) for m in (re.match(r"^  \d+\. (\S+):", ln)
                                      for ln in lines) if m]

    def test_latency_at_64_bytes_is_led_by_a_spinning_ring(self):
        names = self.shortlist(64, "latency")
        self.assertEqual(names[0], "sysv_shm/spin")
        self.assertLessEqual(len(names), A.SHORTLIST)
        self.assertNotIn("cacheline", names)       # a reference, not a pick

    def test_throughput_ranks_highest_first(self):
        names = self.shortlist(65536, "throughput", "same")
        vals = [A.value(r, "throughput") for r in self.rows
                if r["transport"] in names[:2] and r["mode"] == "throughput"
                and r["size_bytes"] == 65536 and r["placement"] == "same"]
        self.assertEqual(len(vals), 2)
        self.assertEqual(names[0], "posix_shm/futex")

    def test_cpu_goal_uses_paced_rows_and_does_not_pick_spin(self):
        lines = A.advise(self.rows, 64, "cpu", "spread")
        self.assertIn("paced rows", lines[0])
        self.assertFalse(self.shortlist(64, "cpu")[0].endswith("/spin"))
        self.assertTrue(any("vs" in ln and "for spin" in ln for ln in lines))

    def test_overlapping_intervals_are_a_tie_and_apart_are_not(self):
        self.assertTrue(A.tie((1.0, 2.0, ""), (1.5, 3.0, "")))
        self.assertFalse(A.tie((1.0, 2.0, ""), (2.5, 3.0, "")))
        lines = A.advise(self.rows, 64, "latency", "spread")
        second, third = [ln for ln in lines if ln.startswith("  2.")][0], \
            [ln for ln in lines if ln.startswith("  3.")][0]
        self.assertIn("tie", second)               # posix_shm/spin overlaps
        self.assertNotIn("tie", third)             # futex is 10x away

    def test_a_reason_comes_from_the_wait_and_the_cpu(self):
        lines = A.advise(self.rows, 64, "latency", "spread")
        self.assertIn("polls a shared ring", lines[2])


class Errors(unittest.TestCase):
    def test_bad_arguments_are_one_line_and_exit_2(self):
        for args in (["--size", "x"], ["--size", "64", "--goal", "fast"],
                     ["--size", "64", "--placement", "os"], [],
                     ["--size", "64", "--measure", "--from", "x"]):
            p = run(*args)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertEqual(len(p.stderr.strip().splitlines()), 1,
                             (args, p.stderr))

    def test_an_empty_directory_is_a_clear_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = run("--size", "64", "--from", tmp)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no results.csv", p.stderr)

    def test_a_foreign_csv_is_a_clear_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "results.csv"), "w",
                      encoding="utf-8") as f:
                f.write("a,b,c\n1,2,3\n")
            p = run("--size", "64", "--from", tmp)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_a_size_not_measured_names_the_sizes_that_were(self):
        p = run("--size", "4K", "--from", FIXTURE)
        self.assertEqual(p.returncode, 1)
        self.assertIn("measured sizes: ", p.stderr)
        self.assertIn("64 KiB", p.stderr)


if __name__ == "__main__":
    unittest.main()
