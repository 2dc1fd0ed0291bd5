"""Builds an area directory into a component: ``python -m portico_sdk.build DIR -o AREA.wasm``.

DIR holds ``app.py`` (which ends with ``Plugin = export(MyArea)``), its
``templates/`` and ``i18n/``. The contract (``wit/area.wit``) ships inside
this package, so the build works outside the Portico repository; it needs
componentize-py on the PATH or beside this Python (``pip install
portico-sdk[build]``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def componentize_py() -> str:
    """The componentize-py executable: beside this interpreter, else on the PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "componentize-py")
    if os.path.exists(beside):
        return beside
    found = shutil.which("componentize-py")
    if found is None:
        raise SystemExit("componentize-py not found: pip install 'portico-sdk[build]' (componentize-py==0.25.1)")
    return found


def command(area_dir: str, output: str) -> list[str]:
    """The componentize-py command line that builds ``area_dir`` into ``output``."""
    return [componentize_py(), "-d", os.path.join(HERE, "wit"), "-w", "area", "componentize",
            "-p", area_dir, "-p", os.path.dirname(HERE), "app", "-o", output]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m portico_sdk.build", description=__doc__.splitlines()[0])
    parser.add_argument("area_dir", help="directory holding app.py, templates/ and i18n/")
    parser.add_argument("-o", "--output", required=True, help="the component to write, e.g. my-area.wasm")
    args = parser.parse_args(argv)
    if not os.path.isfile(os.path.join(args.area_dir, "app.py")):
        parser.error(f"{args.area_dir} has no app.py: an area's module is app.py, ending with `Plugin = export(MyArea)`")
    return subprocess.call(command(args.area_dir, args.output))


if __name__ == "__main__":
    sys.exit(main())
