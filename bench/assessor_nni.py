"""NNI 3.0's MedianstopAssessor driven from another Python (NNI's own venv) over JSON lines.

As a module: NniAssessor(python, **classArgs) with assess(trial_id, history) -> bool (True = Bad,
i.e. stop) and trial_end(trial_id, success). Run as a script (by NniAssessor) it is the child loop.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


class NniAssessor:
    def __init__(self, python: str, class_args: dict[str, Any]) -> None:
        self.proc = subprocess.Popen(
            [python, __file__, json.dumps(class_args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self._read() == "ready"

    def _send(self, message: dict[str, Any]) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def _read(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("NNI child process ended")
        return line.strip()

    def assess(self, trial_id: str, history: list[float]) -> bool:
        return self._send({"op": "assess", "id": trial_id, "history": history}) == "Bad"

    def trial_end(self, trial_id: str, success: bool) -> None:
        self._send({"op": "end", "id": trial_id, "success": success})

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _child() -> None:
    import logging

    logging.disable(logging.WARNING)
    from nni.algorithms.hpo.medianstop_assessor import MedianstopAssessor

    assessor = MedianstopAssessor(**json.loads(sys.argv[1]))
    print("ready", flush=True)
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["op"] == "assess":
            print(assessor.assess_trial(msg["id"], msg["history"]).name, flush=True)
        else:
            assessor.trial_end(msg["id"], msg["success"])
            print("ok", flush=True)


if __name__ == "__main__":
    _child()
