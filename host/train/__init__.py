"""`host train`: a recipe or a dataset folder -> DIR/NAME.tflite + DIR/NAME.json.

    host train sine -o models/
    host train gesture -o models/ --prune 0.5
    host train --data my_words/ --task classify -o models/

The CLI parses its arguments and calls `train`, which scripts and tests call directly:

    from host.train import train
    result = train("gesture", Path("models"), prune=0.5)   # -> TrainResult

Training is seeded (same seed, same bytes); results are cached under the cache folder keyed by
the arguments, the data and this code, so a repeated run only copies files.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host.errors import CommandError
from host.paths import DEVICE_DIR, HOST_DIR, cache_dir
from host.train.data import say

RECIPES = ("sine", "gesture", "keyword", "anomaly")
TASKS = ("classify", "regress", "anomaly")
MODES = ("int8", "int16x8", "float")  # what a model is converted to
DISTILL_DEFAULT = "default"  # same as host.train.shrink.DISTILL_DEFAULT (no TF import here)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "recipe",
        nargs="?",
        metavar="RECIPE",
        help=f"one of {', '.join(RECIPES)} (or --data with --task)",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder for NAME.tflite and NAME.json",
    )
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="your dataset: DIR/<label>/*.csv or DIR/<label>/*.wav",
    )
    parser.add_argument("--task", choices=TASKS, help="what to learn from --data")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--epochs", type=int, help="training epochs (default: the recipe's)")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument(
        "--float",
        dest="mode",
        action="store_const",
        const="float",
        help="keep float32 (no quantization)",
    )
    kind.add_argument(
        "--int16x8",
        dest="mode",
        action="store_const",
        const="int16x8",
        help="int16 activations, int8 weights",
    )
    parser.set_defaults(mode="int8")
    parser.add_argument(
        "--qat",
        action="store_true",
        help="quantization-aware training (TF Model Optimization toolkit)",
    )
    parser.add_argument(
        "--prune",
        type=float,
        metavar="SPARSITY",
        help="magnitude pruning to this fraction of zero weights, e.g. 0.5",
    )
    parser.add_argument(
        "--distill",
        nargs="?",
        const=DISTILL_DEFAULT,
        metavar="TEACHER",
        help="learn from a teacher .tflite (no value: the recipe's larger model)",
    )
    parser.add_argument("--no-cache", action="store_true", help="train even if cached")
    parser.add_argument("-v", "--verbose", action="store_true", help="show TensorFlow's logs")


@dataclass(frozen=True)
class TrainResult:
    """What `train` wrote: the model, its sidecar and the sidecar's contents."""

    model: Path  # OUTPUT/NAME.tflite
    sidecar: Path  # OUTPUT/NAME.json
    document: dict  # the sidecar: sizes, arena, metrics, how it was trained
    cached: bool  # copied from an identical earlier training


def train(
    recipe: str | None,
    output: Path,
    *,
    data: Path | None = None,
    task: str | None = None,
    seed: int = 1,
    epochs: int | None = None,
    mode: str = "int8",
    qat: bool = False,
    prune: float | None = None,
    distill: str | None = None,
    no_cache: bool = False,
    verbose: bool = False,
) -> TrainResult:
    """Train `recipe` (one of RECIPES), or a dataset folder `data` (DIR/<label>/*.csv or
    *.wav) for `task` (one of TASKS), convert it to a `mode` model ("int8", "int16x8" or
    "float") and write OUTPUT/NAME.tflite and OUTPUT/NAME.json.

    `qat`, `prune` (a sparsity) and `distill` (a teacher .tflite, or DISTILL_DEFAULT for the
    recipe's larger model) shrink it; `epochs` overrides the recipe's. Seeded: the same
    arguments give the same bytes, and the result is cached by the arguments, the data and
    this code (`no_cache` trains anyway). Bad arguments raise CommandError."""
    options = argparse.Namespace(
        recipe=recipe,
        output=Path(output),
        data=None if data is None else Path(data),
        task=task,
        seed=seed,
        epochs=epochs,
        mode=mode,
        qat=qat,
        prune=prune,
        distill=distill,
        no_cache=no_cache,
        verbose=verbose,
    )
    return _train(options)


def run(args: argparse.Namespace) -> int:
    train(
        args.recipe,
        args.output,
        data=args.data,
        task=args.task,
        seed=args.seed,
        epochs=args.epochs,
        mode=args.mode,
        qat=args.qat,
        prune=args.prune,
        distill=args.distill,
        no_cache=args.no_cache,
        verbose=args.verbose,
    )
    return 0


def _train(args: argparse.Namespace) -> TrainResult:
    recipe_name, task, name = _check_arguments(args)
    recipe = importlib.import_module(f"host.train.recipes.{recipe_name}")
    epochs = args.epochs or recipe.EPOCHS
    key = _cache_key(args, recipe_name, task, name, epochs)
    cached = cache_dir() / "models" / key
    if not args.no_cache and (cached / f"{name}.json").is_file():
        say(f"cached result of identical training ({cached})")
        return _publish(cached, args.output, name, cached=True)

    started = time.monotonic()
    # the data comes first (numpy only): a bad folder is reported before TensorFlow loads
    say(f"making the {recipe_name if args.data is None else str(args.data)} dataset")
    dataset = recipe.make_dataset(np.random.default_rng(args.seed), args.data, task)
    say(
        f"{len(dataset.x_train)} training, {len(dataset.x_val)} validation, "
        f"{len(dataset.x_test)} test examples"
    )
    tf, keras = _import_tensorflow(args.verbose)
    # Keras numbers layers per process (dense, dense_1, ...) and the names end up in the
    # model's tensors: start each training afresh, so a second call in one process gives the
    # same bytes as the first.
    keras.backend.clear_session()
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()

    from host.tflite_model import weight_sparsity
    from host.train import evaluate, shrink, sidecar
    from host.train.convert import CALIBRATION_SAMPLES, convert

    report: list[dict] = []
    targets = dataset.x_train if task == "anomaly" else dataset.y_train
    if args.distill:
        targets = shrink.distill_targets(args.distill, recipe, dataset, targets, epochs, report)
    model = recipe.build_model(dataset)
    shrink.fit(model, dataset, targets, epochs, "model")
    float_metrics = evaluate.score(dataset, shrink.keras_predict(model))
    if args.prune is not None:
        model = shrink.prune(model, dataset, targets, args.prune, epochs, report)
    if args.qat:
        model = shrink.quantization_aware(
            model, dataset, targets, epochs, report, keep_sparsity=args.prune is not None
        )
    calibration = np.concatenate(
        [dataset.x_train[:CALIBRATION_SAMPLES]]
        + ([dataset.calibration_extra] if dataset.calibration_extra is not None else [])
    )

    say("converting" + ("" if args.mode == "float" else f" and quantizing ({args.mode})"))
    modes = ["float"] if args.mode == "float" else ["float", args.mode]
    with tempfile.TemporaryDirectory() as workdir:
        converted = convert(model, calibration, modes, Path(workdir), args.verbose)
    deployed = converted[args.mode]
    metrics = {"float": float_metrics}
    if args.mode != "float":
        metrics[args.mode] = evaluate.score(dataset, lambda x: evaluate.run_tflite(deployed, x))
    metrics["tflm"] = evaluate.score(dataset, lambda x: evaluate.run_tflm(deployed, x)[0])
    if args.prune is not None:
        metrics["sparsity"] = round(weight_sparsity(deployed), 4)
    if args.mode != "float":
        metric, _ = evaluate.headline(float_metrics)
        report.append(
            {
                "step": f"{args.mode} quantization",
                "bytes_before": len(converted["float"]),
                "bytes_after": len(deployed),
                "metric": metric,
                "before": float_metrics[metric],
                "after": metrics[args.mode][metric],
            }
        )
    seconds = round(time.monotonic() - started, 1)
    training = {
        "recipe": recipe_name,
        "data": str(args.data) if args.data else None,
        "seed": args.seed,
        "epochs": epochs,
        "quantization": args.mode,
        "qat": args.qat,
        "prune": args.prune,
        "distill": args.distill,
        "seconds": seconds,
        "shrinking": report,
        "tensorflow": tf.__version__,
    }
    say("measuring the model with the tflite-micro runtime")
    document = sidecar.build(name, deployed, dataset, metrics, training)
    cached.mkdir(parents=True, exist_ok=True)
    (cached / f"{name}.tflite").write_bytes(deployed)
    (cached / f"{name}.json").write_text(json.dumps(document, indent=1) + "\n")
    return _publish(cached, args.output, name, cached=False)


def _check_arguments(args: argparse.Namespace) -> tuple[str, str, str]:
    """(recipe module, task, output name) after checking the arguments' combination."""
    if args.recipe is not None and args.recipe not in RECIPES:
        raise CommandError(f"unknown recipe {args.recipe} (known: {', '.join(RECIPES)})")
    if args.mode not in MODES:
        raise CommandError(f"unknown mode {args.mode} (known: {', '.join(MODES)})")
    if args.recipe is None and args.data is None:
        raise CommandError(f"name a recipe ({', '.join(RECIPES)}) or give --data DIR --task T")
    if args.epochs is not None and args.epochs < 1:
        raise CommandError("--epochs must be at least 1")
    if args.prune is not None and not 0 < args.prune < 1:
        raise CommandError("--prune takes a sparsity between 0 and 1, e.g. 0.5")
    if args.distill not in (None, DISTILL_DEFAULT) and not Path(args.distill).is_file():
        raise CommandError(f"{args.distill}: no such teacher model file")
    if args.data is not None:
        from host.train.data import label_folders

        folders = label_folders(args.data)
        wav = next(iter(folders.values()))[0].suffix.lower() == ".wav"
        if args.recipe is None:
            if args.task is None:
                raise CommandError(f"--data needs --task ({', '.join(TASKS)})")
            if args.task == "anomaly":
                recipe = "anomaly"
            elif args.task == "classify":
                recipe = "keyword" if wav else "gesture"
            else:
                if wav:
                    raise CommandError("--task regress takes CSV folders")
                recipe = "gesture"
            return recipe, args.task, args.data.resolve().name
        if args.recipe == "sine":
            raise CommandError(
                "the sine recipe has its own data; --data works with gesture, keyword and anomaly"
            )
    recipe_module = importlib.import_module(f"host.train.recipes.{args.recipe}")
    task = args.task or recipe_module.TASK
    if task != recipe_module.TASK and not (args.recipe == "gesture" and task == "regress"):
        raise CommandError(f"the {args.recipe} recipe does {recipe_module.TASK}, not {task}")
    return args.recipe, task, args.recipe


def _cache_key(args: argparse.Namespace, recipe: str, task: str, name: str, epochs: int) -> str:
    """A hash of everything that decides the result: arguments, data files, teacher, code."""
    digest = hashlib.sha256()
    settings = [
        recipe,
        task,
        name,
        str(args.data),
        args.seed,
        epochs,
        args.mode,
        args.qat,
        args.prune,
        args.distill,
    ]
    digest.update(json.dumps(settings).encode())
    inputs = []
    if args.data is not None:
        inputs += sorted(p for p in args.data.rglob("*") if p.is_file())
    if args.distill not in (None, DISTILL_DEFAULT):
        inputs.append(Path(args.distill))
    code = sorted((HOST_DIR / "train").rglob("*.py")) + [
        HOST_DIR / "features.py",
        HOST_DIR / "tflite_model.py",
        DEVICE_DIR / "tinyml" / "features.py",
    ]
    for path in inputs + code:
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def _publish(folder: Path, output: Path, name: str, *, cached: bool) -> TrainResult:
    """Copy the result from its cache `folder` to `output` and print its summary."""
    model, sidecar_file = output / f"{name}.tflite", output / f"{name}.json"
    try:
        output.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / model.name, model)
        shutil.copyfile(folder / sidecar_file.name, sidecar_file)
    except OSError as err:
        raise CommandError(f"cannot write to {output}: {err.strerror}") from err
    say(f"wrote {model} and {sidecar_file}")
    document = json.loads(sidecar_file.read_text())
    _summary(document)
    return TrainResult(model, sidecar_file, document, cached)


def _summary(document: dict) -> None:
    """What the user wants to see at the end: size, arena and the metrics before and after."""
    print(
        f"{document['name']}: {document['flash_bytes']} bytes, {document['params']} "
        f"parameters, {document['macs']} MACs, arena {document['arena_bytes']} bytes"
    )
    for kind, metrics in document["metrics"].items():
        if isinstance(metrics, dict):
            shown = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items())
            print(f"  {kind:<9} {shown}")
        else:
            print(f"  {kind:<9} {metrics}")
    for step in document["training"]["shrinking"]:
        detail = ", ".join(f"{k} {v}" for k, v in step.items() if k != "step")
        print(f"  {step['step']}: {detail}")


def _import_tensorflow(verbose: bool):
    """TensorFlow and tf-keras (Keras 2, which the optimization toolkit needs), quiet unless -v."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    if verbose:
        import tensorflow as tf
        import tf_keras as keras
    else:
        from host.tflite_model import quiet_stderr

        # TensorFlow's C++ start-up lines ignore TF_CPP_MIN_LOG_LEVEL; import with stderr closed
        with quiet_stderr():
            import tensorflow as tf
            import tf_keras as keras

        tf.get_logger().setLevel("ERROR")
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    return tf, keras
