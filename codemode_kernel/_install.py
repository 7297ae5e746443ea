"""``python -m codemode_kernel install``: write the ``codemode`` kernelspec.

ipykernel's own installer hard-codes ``-m ipykernel_launcher`` (which would
silently install a plain IPython kernel), so the spec is written here from
the template in ``codemode_kernel/kernelspec/`` with this interpreter.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

__all__ = ["DISPLAY_NAME", "KERNEL_NAME", "install", "main"]

KERNEL_NAME = "codemode"
DISPLAY_NAME = "Code Mode (Python 3)"
SPEC_DIR = Path(__file__).parent / "kernelspec"


def kernel_json(display_name: str = DISPLAY_NAME) -> dict:
    """The kernel.json contents for this interpreter."""
    spec = json.loads((SPEC_DIR / "kernel.json").read_text("utf-8"))
    spec["argv"] = [sys.executable, "-m", "codemode_kernel", "-f", "{connection_file}"]
    spec["display_name"] = display_name
    return spec


def install(
    *,
    user: bool = False,
    prefix: str | None = None,
    name: str = KERNEL_NAME,
    display_name: str = DISPLAY_NAME,
) -> str:
    """Install the kernelspec; return the directory it was written to."""
    from jupyter_client.kernelspec import KernelSpecManager

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / name
        target.mkdir()
        (target / "kernel.json").write_text(json.dumps(kernel_json(display_name), indent=1))
        for logo in SPEC_DIR.glob("logo-*"):
            shutil.copy(logo, target / logo.name)
        return KernelSpecManager().install_kernel_spec(
            str(target), kernel_name=name, user=user, prefix=prefix, replace=True
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codemode_kernel install", description="Install the codemode kernelspec."
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for the current user")
    where.add_argument(
        "--sys-prefix", action="store_true", help=f"install into sys.prefix ({sys.prefix})"
    )
    where.add_argument("--prefix", help="install into PREFIX/share/jupyter/kernels")
    parser.add_argument("--name", default=KERNEL_NAME, help=f"kernel name (default {KERNEL_NAME})")
    parser.add_argument(
        "--display-name",
        default=DISPLAY_NAME,
        help=f"name shown in the launcher (default {DISPLAY_NAME!r})",
    )
    args = parser.parse_args(argv)
    prefix = sys.prefix if args.sys_prefix else args.prefix
    path = install(user=args.user, prefix=prefix, name=args.name, display_name=args.display_name)
    print(f"Installed kernelspec {args.name!r} ({args.display_name}) in {path}")
    return 0
