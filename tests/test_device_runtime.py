"""The on-board runtime (tinyml.window/sensors/trigger/power/pipeline/board) on MicroPython.

Each script under tests/device/runtime/ prints one line per check and ends with PASS; a
failed check raises, so the script exits non-zero with the reason. They run on the
simulator firmware (the unix port), not CPython, each in its own temporary folder.
"""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "tests" / "device" / "runtime"
SCRIPTS = sorted(RUNTIME.glob("test_*.py"))

# Scripts whose whole output is the check (the deep-sleep script restarts itself).
EXACT = {
    "test_power_deep": ["boot 0 reset 0", "boot 1 timer 500", "boot 2 timer 1000",
                        "boot 3 timer 1500", "PASS"],
}

# Environment a script needs (paths relative to its working folder).
ENV = {
    "test_board": {"TINYML_DATA": "board.csv"},
}


@pytest.fixture(scope="session")
def micropython(simulator) -> str:
    return str(simulator.path)


def run_device(micropython: str, args: list, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, MICROPYPATH=f"{ROOT / 'device'}:{RUNTIME}", **env)
    return subprocess.run([micropython, *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_device_script(micropython: str, script: Path, tmp_path: Path) -> None:
    result = run_device(micropython, [str(script)], tmp_path, **ENV.get(script.stem, {}))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = result.stdout.splitlines()
    if script.stem in EXACT:
        assert lines == EXACT[script.stem], output
    else:
        assert lines and lines[-1] == "PASS", output


EXAMPLES = sorted(path.parent for path in (ROOT / "examples").glob("*/main.py"))
MODELS = {"hello_world": "sine", "magic_wand": "gesture", "keyword": "keyword", "anomaly": "anomaly"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_example_prints_expected(micropython: str, example: Path, tmp_path: Path) -> None:
    """Each example, on its recording, prints the lines of its expected.txt, as
    `host run examples/NAME/main.py --board unix --rom MODELS --data examples/NAME/sample.*`."""
    expected = example / "expected.txt"
    if not expected.is_file():
        pytest.skip(f"{expected.relative_to(ROOT)} missing: it is written from the example's"
                    f" output once its model exists (host train {MODELS[example.name]} -o DIR)")
    models = os.environ.get("TINYML_MODELS")
    model = MODELS[example.name]
    if not models or not (Path(models) / f"{model}.tflite").is_file():
        pytest.skip(f"model {model}.tflite missing; run: host train {model} -o DIR and set"
                    " TINYML_MODELS=DIR")
    from host.romfs import write_image

    image = tmp_path / "rom.img"
    write_image(Path(models), image)
    (data,) = example.glob("sample.*")
    result = run_device(micropython, ["-c", "import tinyml.simulator"], tmp_path,
                        TINYML_SCRIPT=str(example / "main.py"), TINYML_DATA=str(data),
                        TINYML_ROMFS=str(image))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == expected.read_text().splitlines()
