"""The task runner: `python -m autolab.task.run --template T [--pattern P]`, a task job's trialCommand.

It renders the template with the job's parameters (parameter.json; each value literal in its
quoting, see autolab.commands), runs the
command through the shell in the current directory (the job's code directory), and passes its
stdout through as it comes. With a pattern, each match on stdout is reported as an intermediate
result and the last one as the final result, by appending metric lines (autolab.protocol) to the
job's metrics.jsonl, unless the script reports through the SDK itself: once the script wrote a
metric line, no more intermediates are added (one match read just before may still land
among its lines), and a final result of its own wins. The command's
exit code is the runner's (a signal N gives 128 + N, as the shell does).

Standard library only: it runs once per job.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, BinaryIO

from .. import protocol
from ..commands import TemplateError, placeholders, render
from .template import flat_parameters

NEWLINE = re.compile(rb"[\r\n]")


class MetricReader:
    """Turns matches of the pattern on stdout lines into metric lines of metrics.jsonl."""

    def __init__(self, pattern: str, metrics: Path) -> None:
        self.regex = re.compile(pattern)
        self.metrics = metrics
        self.values: list[float] = []
        self.written = 0  # bytes of metrics.jsonl that are ours
        self.sdk_used = False
        self.warned = False
        try:
            self.written = metrics.stat().st_size  # a restart's lines are not the script's
        except OSError:
            pass

    def line(self, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace")
        for match in self.regex.finditer(text):
            found = match.group(1) if self.regex.groups else match.group(0)
            value = _number(found)
            if value is None:
                if not self.warned:
                    print(
                        f"autolab.task.run: {found!r} (matched by the metric pattern) is not a number; "
                        "skipped",
                        file=sys.stderr,
                        flush=True,
                    )
                    self.warned = True
                continue
            self.values.append(value)
            if not self.sdk_wrote():
                self._append(protocol.PERIODICAL, value)

    def finish(self) -> None:
        """Report the last match as the final result, unless the script reported its own."""
        if not self.values or self.has_final():
            return
        self._append(protocol.FINAL, self.values[-1])

    def sdk_wrote(self) -> bool:
        if not self.sdk_used:
            try:
                self.sdk_used = self.metrics.stat().st_size > self.written
            except OSError:
                pass
        return self.sdk_used

    def has_final(self) -> bool:
        try:
            with open(self.metrics, encoding="utf-8", errors="replace") as fh:
                return any(
                    (metric := protocol.parse_metric_line(line)) is not None and metric.final for line in fh
                )
        except OSError:
            return False

    def _append(self, kind: str, value: float) -> None:
        data = protocol.metric_line(kind, value).encode("utf-8")
        with open(self.metrics, "ab") as fh:
            fh.write(data)
        self.written += len(data)


def _number(text: str) -> float | None:
    for candidate in (text, text.rstrip(".")):  # "Acc: 0.93." ends a sentence
        try:
            value = float(candidate)
        except ValueError:
            continue
        return value if value == value and abs(value) != float("inf") else None
    return None


def run(command: str, reader: MetricReader | None, out: BinaryIO) -> int:
    """Run command through the shell; stdout goes to out as it comes. Returns the exit code."""
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")  # a Python script's results arrive as printed
    if reader is None:
        proc = subprocess.Popen([protocol.trial_shell(), "-c", command], env=env)
    else:
        proc = subprocess.Popen([protocol.trial_shell(), "-c", command], env=env, stdout=subprocess.PIPE)

    def forward(signum: int, frame: Any) -> None:
        proc.send_signal(signum)  # when the runner alone is signalled; the group gets it anyway

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    if reader is not None:
        assert proc.stdout is not None
        pending = b""
        while chunk := os.read(proc.stdout.fileno(), 65536):
            out.write(chunk)
            out.flush()
            *lines, pending = NEWLINE.split(pending + chunk)
            for line in lines:
                reader.line(line)
        if pending:
            reader.line(pending)
    code = proc.wait()
    if reader is not None:
        reader.finish()
        if code == 0 and not reader.values and not reader.sdk_wrote():
            # the command worked but nothing it printed is a result: the pattern does not fit its output
            # (a failed job, so a pattern that never matches stops the experiment after its first jobs)
            print(
                f"autolab.task.run: the metric pattern {reader.regex.pattern!r} matched nothing the command "
                "printed on stdout (and it reported nothing itself)",
                file=sys.stderr,
                flush=True,
            )
            return 2
    return 128 - code if code < 0 else code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autolab.task.run",
        description="run a task job: render the template, read results from stdout",
    )
    parser.add_argument("--template", required=True, help="the command, with {name} placeholders")
    parser.add_argument("--pattern", help="regex whose matches on stdout are the job's results")
    args = parser.parse_args(argv)
    trial_dir = os.environ.get(protocol.ENV_TRIAL_DIR)
    if not trial_dir:
        print(
            f"autolab.task.run: {protocol.ENV_TRIAL_DIR} is not set (autolab runs this in a job)",
            file=sys.stderr,
        )
        return 2
    directory = Path(trial_dir)
    values = flat_parameters(protocol.read_parameters(directory))
    missing = [name for name in placeholders(args.template) if name not in values]
    if missing:
        print(
            f"autolab.task.run: the job's parameters give no value for {', '.join(missing)}", file=sys.stderr
        )
        return 2
    try:
        command = render(args.template, values)
    except TemplateError as exc:  # refused at create; a template changed by hand since
        print(f"autolab.task.run: --template: {exc}", file=sys.stderr)
        return 2
    reader = MetricReader(args.pattern, directory / protocol.METRICS_FILE) if args.pattern else None
    return run(command, reader, sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main())
