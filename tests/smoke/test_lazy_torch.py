"""torch is optional: importing datacheck (and datacheck.smoke) must not import it, and
``datacheck checks`` must list the probes without it. Runs with or without torch installed."""

from __future__ import annotations

import subprocess
import sys

N_PROBES = 14


def _python(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_importing_datacheck_and_smoke_does_not_import_torch():
    assert _python("import sys, datacheck, datacheck.smoke; print('torch' in sys.modules)") == "False"


def test_probes_are_described_without_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from datacheck.smoke import describe_probes\n"
            "print(len(describe_probes()))")
    assert _python(code) == str(N_PROBES)


def test_using_smoke_without_torch_says_how_to_install_it():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from datacheck.smoke import run_probes\n"
            "try:\n    run_probes(object(), [])\n"
            "except ImportError as e:\n    print(e)")
    assert "pip install 'datacheck[torch]'" in _python(code)
