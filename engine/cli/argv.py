"""Command-line manners: global options after the command, tidy help, the program's name.

- **Global options anywhere.** ``sync plan --var x=1`` and ``sync validate --debug`` work
  like ``sync --var x=1 plan``: :func:`hoist_globals` moves the global options it finds after
  the command word(s) to just before the first command word, before click parses anything.
  It walks the words the way click will: a command option that takes a value keeps its
  value (``sync plan --out --debug`` saves to a file named ``--debug``), and nothing after
  ``--`` is touched. Later occurrences still win (``sync --var x=1 plan --var x=2``: 2).
- **Help without noise.** Typer shows ``<bool>`` after every flag; :func:`tidy` blanks the
  type of flags (and of ``--help``) and adds one line naming the global options to every
  command's help.
- **The program's name.** The product installs two console scripts, ``sync`` and
  ``acsync`` (``sync`` is also coreutils' sync, which answers ``sync validate`` with
  "sync: error opening 'validate'" when the venv is not on PATH). :func:`program_name` is
  the name it was started as; :func:`as_invoked` rewrites ``sync <command>`` hints in a
  message to that name, so a user who typed ``acsync`` is told to type ``acsync``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import typer
from typer._click.core import Command, Context, Parameter
from typer._click.globals import get_current_context
from typer.core import TyperGroup as Group
from typer.core import TyperOption as Option

PROGRAMS = ("sync", "acsync")
VALUE_GLOBALS = ("--workspace", "-w", "--var")  # global options that take a value
FLAG_GLOBALS = ("--no-color", "--debug", "--version")
GLOBALS_EPILOG = (
    "Global options, before or after the command: -w/--workspace DIR, --var NAME=VALUE "
    "(repeatable), --no-color, --debug."
)
COMMANDS = (
    "validate",
    "plan",
    "apply",
    "status",
    "sandbox",
    "schema",
    "doctor",
    "exports",
    "init",
    "codeowners",
    "sample-data",
)
_HINT = re.compile(rf"(?<![\w./-])sync (?=(?:{'|'.join(COMMANDS)})\b)")


def hoist_globals(group: Group, ctx: Context, args: Sequence[str]) -> list[str]:
    """``args`` with the global options written after a command word moved before it."""
    kept: list[str] = []
    hoisted: list[str] = []
    first_word: int | None = None  # where the first command word sits in ``kept``
    command: Command = group
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            kept += args[i:]
            break
        taken = _global_words(args, i) if command is not group else 0
        if taken:
            hoisted += args[i : i + taken]
            i += taken
            continue
        if word.startswith("-") and word != "-":
            taken = 2 if _takes_value(command, ctx, word) else 1
            kept += args[i : i + taken]
            i += taken
            continue
        kept.append(word)
        i += 1
        if isinstance(command, Group):  # a command word (else: a command's argument)
            first_word = len(kept) - 1 if first_word is None else first_word
            found = command.get_command(ctx, word)
            if found is None:  # unknown: click reports it, with the words as given
                kept += args[i:]
                break
            command = found
    if first_word is None:
        return kept + hoisted
    return kept[:first_word] + hoisted + kept[first_word:]


def _global_words(args: Sequence[str], i: int) -> int:
    """How many words the global option at ``args[i]`` spans (0: it is not one)."""
    word = args[i]
    name, eq, _ = word.partition("=")
    if word in FLAG_GLOBALS:
        return 1
    if name in VALUE_GLOBALS and name.startswith("--"):
        return 1 if eq else min(2, len(args) - i)
    if word == "-w":
        return min(2, len(args) - i)
    return 1 if word.startswith("-w") and not word.startswith("--") else 0


def _takes_value(command: Command, ctx: Context, word: str) -> bool:
    if "=" in word or (not word.startswith("--") and len(word) > 2):
        return False  # --name=value, or -xVALUE: the value is in the word
    for param in command.get_params(ctx):
        if isinstance(param, Option) and word in (*param.opts, *param.secondary_opts):
            return not param.is_flag and not param.count
    return False


def tidy(command: Command, ctx: Context) -> None:
    """No ``<bool>`` after flags; every command's help names the global options."""
    blank_flags(command.get_params(ctx))
    if isinstance(command, Group):
        for sub in command.commands.values():
            tidy(sub, ctx)
    elif not command.epilog:
        command.epilog = GLOBALS_EPILOG


def blank_flags(params: Sequence[Parameter]) -> None:
    """A flag takes no value: show no type after it (typer would show ``<bool>``); a
    bounded whole number is ``N`` (the bound follows), not ``<int range>``."""
    for param in params:
        if not isinstance(param, Option) or param.metavar is not None:
            continue
        if param.is_flag:
            param.metavar = ""
        elif param.type_descriptor.is_ranged:
            param.metavar = "N"


def program_name(argv0: str) -> str:
    """The name the product was started as (``python -m engine``: sync)."""
    name = Path(argv0).name
    return name if name in PROGRAMS else PROGRAMS[0]


def as_invoked(text: str, program: str) -> str:
    """``text`` with ``sync <command>`` hints naming ``program`` instead."""
    return text if program == PROGRAMS[0] else _HINT.sub(f"{program} ", text)


def say(text: str, *, err: bool = False) -> None:
    """``typer.echo`` of a message whose ``sync <command>`` hints name the program as the
    user started it (:func:`as_invoked`)."""
    ctx = get_current_context(silent=True)
    program = (ctx.find_root().info_name if ctx is not None else None) or PROGRAMS[0]
    typer.echo(as_invoked(text, program), err=err)
