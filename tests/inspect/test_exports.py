"""What the built shared objects export, read with nm as the dynamic linker
sees them: a plugin module exports its GStreamer descriptor and nothing
else, and no symbol is defined by two of the project's shared objects (the
private libraries and the plugins meet in one process, where the first
definition loaded would silently win)."""
import glob
import os
import re
import subprocess
import unittest

BUILD = os.environ["MEDIATAG_BUILD_ROOT"]
# What the ELF linker adds to any shared object, not ours.
LINKER = {"__bss_start", "_edata", "_end", "_init", "_fini"}


def exported(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True,
                         text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()} - LINKER


class ExportsTest(unittest.TestCase):
    def objects(self, pattern):
        found = sorted(p for p in glob.glob(os.path.join(BUILD, "plugins", "*", pattern))
                       if os.path.isfile(p) and not os.path.islink(p))
        self.assertTrue(found, "no %s under %s/plugins" % (pattern, BUILD))
        return found

    def test_plugins_export_only_their_descriptor(self):
        for path in self.objects("libgst*.so"):
            name = re.match(r"libgst(\w+)\.so", os.path.basename(path)).group(1)
            with self.subTest(plugin=name):
                self.assertEqual(exported(path), {"gst_plugin_%s_get_desc" % name,
                                                  "gst_plugin_%s_register" % name})

    def test_no_symbol_defined_twice(self):
        owner = {}
        for path in self.objects("lib*.so*"):
            for sym in exported(path):
                with self.subTest(symbol=sym):
                    self.assertNotIn(sym, owner, "%s is defined by %s and %s"
                                     % (sym, owner.get(sym), os.path.basename(path)))
                owner[sym] = os.path.basename(path)
        self.assertIn("mt_s3_client_new", owner)      # the core was read


if __name__ == "__main__":
    unittest.main(verbosity=2)
