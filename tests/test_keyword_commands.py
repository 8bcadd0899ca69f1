"""The keyword example left running on 10 minutes of speech its model was never trained on
(other espeak-ng voices, speeds, pitches, levels and seed; benchmarks/keyword_commands.py
makes it and scores it): at least 90 % of the yes/no words named right, at most one false
alarm a minute."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import keyword_commands  # noqa: E402 (benchmarks/ is no package)


def test_keyword_example_on_unseen_speech(simulator, trained, tmp_path: Path) -> None:
    figures = keyword_commands.evaluate(
        "unix", trained("keyword"), 10, 2029, tmp_path, firmware=simulator
    )
    right, commands = figures["right"], figures["commands"]
    alarms = len(figures["false_alarms"]) / figures["minutes"]
    print(f"{right} of {commands} right, {alarms:.2f} false alarms per minute")
    assert commands >= 100
    assert right >= 0.9 * commands, figures
    assert alarms <= 1, figures
