"""The sweep's guard against an unsteady machine, end to end: scripts/bench
on one transport with QUICK=1 NOCHARTS=1, its calibrations made to drift by
the test hook IPCLAB_GUARD_DRIFT (python3 -m unittest, run by make test)."""
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
# the build under test: make test sets it (build/san/bin under SANITIZE=1)
BINDIR = os.environ.get("IPCLAB_BINDIR", os.path.join(TOP, "bin"))
sys.path.insert(0, os.path.join(TOP, "scripts", "lib"))
import sweep  # noqa: E402


class Moved(unittest.TestCase):
    def test_a_quarter_is_the_line(self):
        self.assertFalse(sweep.moved("100 1000", "120 900"))
        self.assertTrue(sweep.moved("100 1000", "130 1000"))
        self.assertTrue(sweep.moved("100 1000", "100 700"))


class Guard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ipclab-guard-")
        ipclab = os.path.join(BINDIR, "ipclab")
        env = dict(os.environ, QUICK="1", NOCHARTS="1", TMPDIR=cls.tmp,
                   RESULTS_DIR=os.path.join(cls.tmp, "results"), IPCLAB=ipclab,
                   # what calibrations 0 (before group 1), 1, 2 ... read:
                   # group 1 moves (1 -> 2), is re-run and moves again
                   # (2 -> 1); group 2 holds still (1 -> 1); the paced group
                   # moves (1 -> 2), is re-run and holds (2 -> 2)
                   IPCLAB_GUARD_DRIFT="1,2,1,1,2,2")
        p = subprocess.run([os.path.join(TOP, "scripts", "bench"), "pipe"],
                           env=env, capture_output=True, text=True, check=False)
        cls.rc, cls.err = p.returncode, p.stderr
        run = os.path.join(cls.tmp, "results", "latest")
        cls.meta = {}
        cls.rows = []
        if os.path.isdir(run):
            with open(os.path.join(run, "meta.txt"), encoding="utf-8") as f:
                cls.meta = dict(line.rstrip("\n").split("=", 1) for line in f
                                if "=" in line)
            with open(os.path.join(run, "results.csv"), encoding="utf-8") as f:
                cls.rows = list(csv.DictReader(f))
            with open(os.path.join(run, "report.md"), encoding="utf-8") as f:
                cls.report = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.assertIn(self.rc, (0, 1), self.err)
        self.assertTrue(self.rows, self.err)

    def test_a_group_whose_calibration_moved_is_run_again(self):
        self.assertEqual(self.meta.get("guard"), "on", self.meta)
        self.assertEqual(self.meta.get("guard_reruns"), "2", self.err)
        self.assertIn("group 1 (", self.err)
        self.assertIn("running it once more", self.err)

    def test_it_is_flagged_only_when_it_moves_again(self):
        self.assertEqual(self.meta.get("guard_unsteady_groups"), "1", self.err)
        flagged = {(r["mode"], r["size_bytes"]) for r in self.rows
                   if r["flags"] == "unsteady"}
        steady = {(r["mode"], r["size_bytes"]) for r in self.rows
                  if r["flags"] == ""}
        # group 1 is 64 B, 1 KiB and 4 KiB; group 2 (64 KiB, 1 MiB) held
        # still; the paced group was run again and then held still
        self.assertIn(("throughput", "64"), flagged)
        self.assertIn(("latency", "4096"), flagged)
        self.assertIn(("throughput", "65536"), steady)
        self.assertNotIn(("throughput", "65536"), flagged)
        self.assertFalse(any(m == "paced" for m, _ in flagged))

    def test_a_group_that_held_still_ran_once(self):
        self.assertNotIn("group 2 (64K,1M): the calibration moved", self.err)
        self.assertIn("group 3 (paced, 64): the calibration moved", self.err)

    def test_the_report_says_so(self):
        self.assertIn("How steady the machine was", self.report)
        self.assertIn("flagged unsteady", self.report)


if __name__ == "__main__":
    unittest.main()
