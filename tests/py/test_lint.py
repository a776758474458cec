"""Tests of scripts/lint on small made-up trees (python3 -m unittest)."""
import importlib.machinery
import importlib.util
import os
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LINT = os.path.join(HERE, "..", "..", "scripts", "lint")


def load_lint():
    loader = importlib.machinery.SourceFileLoader("ipclab_lint", LINT)
    spec = importlib.util.spec_from_loader("ipclab_lint", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


lint = load_lint()
MECH = lint.MECH_DIRS

GOOD_HANDLER = """
static volatile sig_atomic_t got;
static void on_sig(int sig)
{
    int saved = errno;
    got = sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        continue;
    errno = saved;
}
void setup(void) { struct sigaction sa = { .sa_handler = on_sig; }; }
"""


class Layers(unittest.TestCase):
    def test_bench_including_a_mechanism_is_refused(self):
        files = {"bench/cli.c": '#include "../net/tcp.h"\n'}
        p = lint.check_layers(files, MECH, set())
        self.assertEqual(len(p), 1)
        self.assertIn("must not know a mechanism", p[0][2])

    def test_mechanism_including_another_folder_is_refused(self):
        files = {"net/tcp.c": '#include "../ipc/ring.h"\n'}
        p = lint.check_layers(files, MECH, {"ipc/ring.c"})
        self.assertEqual(len(p), 1)
        self.assertIn("another mechanism folder", p[0][2])

    def test_mechanism_including_another_mechanisms_header_is_refused(self):
        files = {"ipc/pipe.c": '#include "fifo.h"\n', "ipc/fifo.c": "",
                 "ipc/fifo.h": ""}
        p = lint.check_layers(files, MECH, set())
        self.assertEqual(len(p), 1)
        self.assertIn("another mechanism", p[0][2])

    def test_a_header_only_module_of_the_folder_is_fine(self):
        files = {"net/tcp.c": '#include "inet.h"\n', "net/inet.h": ""}
        self.assertEqual(lint.check_layers(files, MECH, set()), [])

    def test_bench_and_own_support_headers_are_fine(self):
        files = {"ipc/sysv_shm.c": '#include "../bench/util.h"\n'
                                   '#include "shm_ring.h"\n',
                 "bench/harness.c": '#include "util.h"\n'}
        self.assertEqual(lint.check_layers(files, MECH, {"ipc/shm_ring.c"}),
                         [])

    def test_including_a_c_file_is_refused(self):
        files = {"signals/a.c": '#include "b.c"\n'}
        self.assertEqual(len(lint.check_layers(files, MECH, set())), 1)


class Programs(unittest.TestCase):
    def test_a_mechanism_must_register(self):
        files = {"ipc/new.c": "int x;\n"}
        p = lint.check_programs(files, MECH, set())
        self.assertIn("registers no transport", p[0][2])

    def test_support_code_must_not_register(self):
        files = {"ipc/ring.c": "TRANSPORT_REGISTER(x);\n"}
        p = lint.check_programs(files, MECH, {"ipc/ring.c"})
        self.assertIn("would have no program", p[0][2])

    def test_a_listed_support_file_must_exist(self):
        p = lint.check_programs({}, MECH, {"ipc/gone.c"})
        self.assertIn("does not exist", p[0][2])


class Handlers(unittest.TestCase):
    def test_safe_handler_passes(self):
        self.assertEqual(lint.check_handlers({"signals/a.c": GOOD_HANDLER}), [])

    def test_printf_in_a_handler_is_caught(self):
        bad = GOOD_HANDLER.replace("got = sig;", 'got = sig; printf("x");')
        p = lint.check_handlers({"signals/a.c": bad})
        self.assertEqual(len(p), 1)
        self.assertIn("calls printf()", p[0][2])

    def test_assigning_a_plain_global_is_caught(self):
        bad = GOOD_HANDLER.replace("got = sig;", "got = sig; counter++;")
        p = lint.check_handlers({"signals/a.c": bad})
        self.assertEqual(len(p), 1)
        self.assertIn("assigns counter", p[0][2])

    def test_atomic_flags_declared_in_a_list_are_known(self):
        src = GOOD_HANDLER.replace("static volatile sig_atomic_t got;",
                                   "static volatile sig_atomic_t a, got;")
        self.assertEqual(lint.check_handlers({"signals/a.c": src}), [])

    def test_errno_must_be_saved_first(self):
        bad = GOOD_HANDLER.replace("int saved = errno;", "int saved = 0;")
        p = lint.check_handlers({"signals/a.c": bad})
        self.assertEqual(len(p), 1)
        self.assertIn("assigns errno", p[0][2])


class Layout(unittest.TestCase):
    def test_a_clean_file_passes(self):
        files = {"ipc/pipe.c": "int x;    /* %s */\n" % ("y" * 60)}
        self.assertEqual(lint.check_layout(files), [])

    def test_each_rule_names_its_line(self):
        files = {"ipc/pipe.c": "int a;\n\tint b;\nint c; \n" +
                 "x" * 81 + "\nint d;"}
        p = sorted(lint.check_layout(files))
        self.assertEqual([(f, n) for f, n, _ in p],
                         [("ipc/pipe.c", 2), ("ipc/pipe.c", 3),
                          ("ipc/pipe.c", 4), ("ipc/pipe.c", 5)])
        text = " ".join(m for _, _, m in p)
        for what in ("a tab", "end of the line", "81 columns",
                     "no newline"):
            self.assertIn(what, text)

    def test_columns_are_characters_not_bytes(self):
        files = {"tests/t.c": "/* %s µs */\n" % ("z" * 71)}
        self.assertEqual(lint.check_layout(files), [])


if __name__ == "__main__":
    unittest.main()
