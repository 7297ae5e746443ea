"""``python -m codemode_kernel``: launch the kernel, or run a subcommand.

Subcommands: ``install``, ``sessions``, ``run``. Anything else (``-f
connection_file``) starts the kernel, as a kernelspec's argv does.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else ""
    if command == "install":
        from ._install import main as install_main

        return install_main(argv[1:])
    if command == "sessions":
        from ._sessions_cli import main as sessions_main

        return sessions_main(argv[1:])
    if command == "run":
        from ._run_cli import main as run_main

        return run_main(argv[1:])
    from ipykernel.kernelapp import IPKernelApp

    from ._kernel import CodeModeKernel

    IPKernelApp.launch_instance(argv=argv, kernel_class=CodeModeKernel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
