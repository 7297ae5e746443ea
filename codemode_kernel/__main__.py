"""``python -m codemode_kernel``: run a subcommand, or launch the kernel.

The kernel starts as ``python -m codemode_kernel -f CONNECTION_FILE`` (what a
kernelspec's argv runs): any first argument that starts with ``-`` (other
than ``-h``/``--help``) goes to ipykernel's ``IPKernelApp``. A command is one
line in :data:`COMMANDS`; an unknown one prints the usage and exits 2.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["COMMANDS", "main", "usage"]

PROG = "python -m codemode_kernel"

#: name -> (module whose ``main(argv) -> int`` runs it, one-line summary).
#: Adding a command is one line here.
COMMANDS: dict[str, tuple[str, str]] = {
    "install": ("codemode_kernel._install", "install the 'codemode' kernelspec"),
    "run": ("codemode_kernel._run_cli", "run a .py file (or -) in a session, print the result"),
    "sessions": ("codemode_kernel._sessions_cli", "list, show, sweep and remove sessions"),
    "mcp": ("codemode_kernel._mcp_cli", "serve this kernel to MCP clients (stdio or HTTP)"),
}


def usage() -> str:
    """The help text: one line per command (about ten lines)."""
    width = max(len(name) for name in COMMANDS)
    lines = [
        f"usage: {PROG} COMMAND [ARGS...]",
        f"       {PROG} -f CONNECTION_FILE   (start the kernel, as a kernelspec does)",
        "",
        "commands:",
        *(f"  {name.ljust(width)}  {summary}" for name, (_, summary) in COMMANDS.items()),
        f"  {'help'.ljust(width)}  show this help",
        "",
        f"'{PROG} COMMAND --help' describes one command.",
    ]
    return "\n".join(lines)


def _start_kernel(argv: list[str]) -> int:
    from ipykernel.kernelapp import IPKernelApp

    from ._kernel import CodeModeKernel

    IPKernelApp.launch_instance(argv=argv, kernel_class=CodeModeKernel)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else ""
    if command in ("-h", "--help", "help"):
        print(usage())
        return 0
    if command in COMMANDS:
        module = importlib.import_module(COMMANDS[command][0])
        return module.main(argv[1:])
    if command.startswith("-"):
        return _start_kernel(argv)
    problem = f"unknown command {command!r}" if command else "no command given"
    print(f"{PROG}: {problem}\n\n{usage()}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
