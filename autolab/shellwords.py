"""The quoting context each placeholder of a command template stands in, as the POSIX shell (and
bash) will read the template: bare, inside '...', inside "...", in a comment, or somewhere a value
cannot be made literal (UNSAFE). autolab.commands writes each value for its context.

A small scanner, not a shell parser: it follows quotes, backslashes, $(...) and (...) nesting (and
case ... esac, whose patterns end with an unpaired `)`), backticks, $'...', ${...}, arithmetic and
comments, which is what decides how a word is read.
Standard library only (the task runner imports it in every trial).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

BARE, SINGLE, DOUBLE, COMMENT = "bare", "single", "double", "comment"
UNSAFE = {
    "backtick": "inside backticks `...` (write $(...) instead)",
    "ansi": "inside $'...'",
    "param": "inside ${...}",
    "arith": "inside arithmetic $((...)), ((...)) or $[...]",
    "heredoc": "after a here-document (<<)",
}
WORD_START = " \t\n;&|()<>"  # a # after one of these (or first) starts a comment


def contexts(template: str, placeholder: re.Pattern[str]) -> Iterator[tuple[re.Match[str], str]]:
    """Each match of placeholder in template with the context it stands in, in order."""
    matches = {m.start(): m for m in placeholder.finditer(template)}
    stack: list[tuple[str, str]] = [(BARE, "")]  # (context, what closes it), innermost last
    heredoc = False
    i, n = 0, len(template)
    while i < n:
        kind, closer = stack[-1]
        match = matches.get(i)
        if match is not None:
            yield match, ("heredoc" if heredoc else kind)
            i = match.end()
            continue
        c, two, three = template[i], template[i : i + 2], template[i : i + 3]
        if kind == SINGLE:  # nothing is special but the closing quote
            if c == "'":
                stack.pop()
            i += 1
            continue
        if c == "\\":  # the next character is literal; a placeholder right after it stays as written
            i += 2
            continue
        if kind in ("backtick", "ansi", "param") and c == closer:
            stack.pop()
        elif kind == "arith" and (two == closer or c == closer):
            stack.pop()
            i += len(closer)
            continue
        elif kind == DOUBLE and c == '"':
            stack.pop()
        elif kind == BARE and closer == ")" and c == ")":
            stack.pop()
        elif kind == BARE and _keyword(template, i, "case"):  # its patterns end with an unpaired )
            stack.append((BARE, "esac"))
        elif kind == BARE and closer == "esac" and _keyword(template, i, "esac"):
            stack.pop()
        elif kind in (BARE, DOUBLE, "arith", "param") and c == "$":
            opened = _dollar(template, i, kind)
            if opened is not None:
                stack.append(opened[0])
                i += opened[1]
                continue
        elif kind in (BARE, DOUBLE) and c == "`":
            stack.append(("backtick", "`"))
        elif kind == "arith" and c == "(":
            stack.append(("arith", ")"))
        elif kind == BARE:
            if c == "'":
                stack.append((SINGLE, "'"))
            elif c == '"':
                stack.append((DOUBLE, '"'))
            elif two == "((":
                stack.append(("arith", "))"))
                i += 2
                continue
            elif c == "(":
                stack.append((BARE, ")"))
            elif three == "<<<":
                i += 3
                continue
            elif two == "<<":
                heredoc = True
            elif c == "#" and (i == 0 or template[i - 1] in WORD_START):
                end = template.find("\n", i)
                end = n if end < 0 else end
                for start in sorted(s for s in matches if i < s < end):
                    yield matches[start], ("heredoc" if heredoc else COMMENT)
                i = end
                continue
        i += 1


def _dollar(template: str, i: int, kind: str) -> tuple[tuple[str, str], int] | None:
    """What a $ at i opens (the context and its closer, and how many characters it takes), or None."""
    rest = template[i + 1 : i + 3]
    if rest == "((":
        return ("arith", "))"), 3
    if rest[:1] == "[":  # bash's old $[...] arithmetic
        return ("arith", "]"), 2
    if rest[:1] == "(":
        return (BARE, ")"), 2
    if rest[:1] == "{":
        return ("param", "}"), 2
    if rest[:1] == "'" and kind == BARE:
        return ("ansi", "'"), 2
    if rest[:1] == '"' and kind == BARE:
        return (DOUBLE, '"'), 2
    return None


def _keyword(template: str, i: int, word: str) -> bool:
    """Does the reserved word stand at i (a word of its own, after a separator)?"""
    end = i + len(word)
    return (
        template.startswith(word, i)
        and (i == 0 or template[i - 1] in WORD_START)
        and (end == len(template) or template[end] in WORD_START)
    )
