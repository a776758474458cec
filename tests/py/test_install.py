"""make install into a scratch DESTDIR, then use what was installed from
another directory, as a user would (python3 -m unittest, run by make test)."""
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ipclab-install-")
        cls.dest = os.path.join(cls.tmp, "root")
        cls.prefix = "/opt/ipclab-test"
        p = subprocess.run(["make", "-s", "-C", TOP, "install",
                            f"DESTDIR={cls.dest}", f"PREFIX={cls.prefix}"],
                           capture_output=True, text=True, check=False)
        cls.install_rc, cls.install_err = p.returncode, p.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dest + self.prefix, *parts)

    def run_here(self, argv):
        """Run from a directory that is not the source tree."""
        return subprocess.run(argv, cwd=self.tmp, capture_output=True,
                              text=True, check=False)

    def setUp(self):
        self.assertEqual(self.install_rc, 0, self.install_err)

    def test_ipclab_and_a_mechanism_run_from_elsewhere(self):
        p = self.run_here([self.path("bin", "ipclab"), "--help"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("ipclab run", p.stdout)
        p = self.run_here([self.path("libexec", "ipclab", "pipe"), "--size",
                           "64", "--mode", "latency", "--iterations", "200",
                           "--warmup", "0", "--reps", "1", "--format", "csv",
                           "--quiet"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("\npipe,ipc,latency,64,", p.stdout)

    def test_the_scripts_are_installed_under_their_own_names(self):
        for name in ("compare", "plots", "report"):
            p = self.run_here([self.path("bin", "ipclab-" + name), "--help"])
            self.assertEqual(p.returncode, 0, f"ipclab-{name}: {p.stderr}")
            self.assertIn(f"usage: ipclab-{name}", p.stdout)

    def test_the_manual_page_reads(self):
        page = self.path("share", "man", "man1", "ipclab.1")
        self.assertTrue(os.path.isfile(page))
        if shutil.which("man") is None:
            self.skipTest("man is not installed (Debian package man-db)")
        p = self.run_here(["man", "-l", page])
        self.assertEqual(p.returncode, 0, p.stderr)
        for word in ("SYNOPSIS", "EXIT STATUS", "--verify", "ipclab-compare"):
            self.assertIn(word, p.stdout.replace("\u2010", "-"))

    def test_examples_and_the_reading_order_are_there(self):
        self.assertTrue(os.path.isfile(self.path("share", "doc", "ipclab",
                                                 "LEARNING.md")))
        self.assertTrue(os.path.isfile(self.path("share", "doc", "ipclab",
                                                 "examples", "pipe.c")))

    def test_uninstall_removes_everything(self):
        dest = os.path.join(self.tmp, "again")
        args = [f"DESTDIR={dest}", f"PREFIX={self.prefix}"]
        subprocess.run(["make", "-s", "-C", TOP, "install"] + args,
                       capture_output=True, check=True)
        subprocess.run(["make", "-s", "-C", TOP, "uninstall"] + args,
                       capture_output=True, check=True)
        left = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs]
        self.assertEqual(left, [])


if __name__ == "__main__":
    unittest.main()
