"""The board-side API's stubs (stubs/, README: "Editor support") against the code and examples.

- mypy type-checks examples/*/main.py and every stub with MYPYPATH=stubs, strictly enough that
  a wrong argument name or count, or an attribute the API lacks, is an error; a snippet with
  such mistakes is reported line by line, so the check can fail.
- The stubs follow the code (read with `ast`): every public name defined at module level in
  device/tinyml/**.py has a stub and no stub names something the code lacks; the same for the
  public methods of the classes, and every function and method has the code's parameters
  (names, kinds, defaults). For the C modules `_tflm` and `_features` the names come from the
  MP_ROM_QSTR tables of native_modules/tflm/*.c, and the arguments from their
  MP_DEFINE_CONST_FUN_OBJ_* arities and mp_arg_t tables.

MicroPython's own modules: the examples import none that CPython lacks (json, array and math
are in the typeshed that mypy ships), and the stubs describe pins, buses and ADCs as Protocols,
which `machine.Pin`, `machine.I2C` and `machine.ADC` fit. So the check needs no
micropython-<port>-stubs package: it runs offline, with `--no-site-packages`, on what mypy ships
and stubs/ alone, and an example that imports `machine` fails it until stubs/ describes what it
uses. (Those packages are per port and fail mypy's strict mode in their own files; an editor
may still add one beside stubs/.)
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEVICE = ROOT / "device"
STUBS = ROOT / "stubs"
NATIVE = ROOT / "native_modules" / "tflm"
EXAMPLES = sorted((ROOT / "examples").glob("*/main.py"))
NATIVE_SOURCES = {"_tflm": NATIVE / "modtflm.c", "_features": NATIVE / "modfeatures.c"}
PROJECT_MODULES = ("tinyml", *NATIVE_SOURCES)

# Modules of device/tinyml that are no API for scripts, so have no stub.
NOT_API = {
    "tinyml.simulator": "the simulator's start-up (`host run` imports it), not for scripts",
}

# Strict mode, except that the examples' own functions may stay unannotated (their bodies are
# still checked: --check-untyped-defs). Site-packages are not searched: only what mypy ships
# and stubs/. No configuration file is read.
MYPY_FLAGS = (
    "--strict",
    "--allow-untyped-defs",
    "--allow-untyped-calls",
    "--no-site-packages",
    "--explicit-package-bases",
    "--config-file=",
    "--no-pretty",
    "--no-color-output",
    "--no-error-summary",
    "--hide-error-context",
)

# One line each, as a script would get it wrong, and what mypy must say about it.
MISTAKES = {
    'tinyml.Model(b"", arena_sizee=1)': 'Unexpected keyword argument "arena_sizee"',
    "tinyml.Window(128, chanels=3)": 'Unexpected keyword argument "chanels"',
    'tinyml.Model("/rom/m.tflite").input()': 'Too few arguments for "input"',
    'tinyml.Model("/rom/m.tflite").input(0).quantize(values=[1.0])': (
        'Unexpected keyword argument "values"'
    ),
    'tinyml.board.imu(rate=100).enable_interrupts("motion")': (
        'has no attribute "enable_interrupts"'
    ),
    "tinyml.trigger.Motion(tinyml.board.imu())": 'Missing positional argument "threshold"',
    'tinyml.power.sleep(10, mode="deeep")': 'Argument "mode" to "sleep" has incompatible type',
    "tinyml.features.motion_features([0, 0, 0], bytearray(3))": (
        'Argument 1 to "motion_features" has incompatible type'
    ),
}
MISTAKES_FILE = "stub_mistakes.py"

ERROR = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+): error: (?P<message>.*)$", re.M)


# mypy ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory) -> dict[str, list[tuple[int, str]]]:
    """One mypy run over the examples, every stub and the snippet of mistakes:
    {file (relative to the repository, or the snippet's name): [(line, message)]}."""
    pytest.importorskip("mypy", reason="mypy missing: .venv/bin/pip install -e '.[test]'")
    tmp = tmp_path_factory.mktemp("stubs")
    snippet = tmp / MISTAKES_FILE
    snippet.write_text("import tinyml\n\n" + "\n".join(MISTAKES) + "\n")
    stubs = sorted(STUBS.rglob("*.pyi"))
    command = [
        sys.executable,
        "-m",
        "mypy",
        *MYPY_FLAGS,
        "--cache-dir",
        str(tmp / "cache"),
        *(str(p.relative_to(ROOT)) for p in EXAMPLES + stubs),
        str(snippet),
    ]
    env = dict(os.environ, MYPYPATH=str(STUBS))
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 2: mypy itself failed
    errors: dict[str, list[tuple[int, str]]] = {}
    for match in ERROR.finditer(result.stdout):
        path = Path(match["path"])
        key = MISTAKES_FILE if path.name == MISTAKES_FILE else path.as_posix()
        errors.setdefault(key, []).append((int(match["line"]), match["message"]))
    # Every error line was understood: an unparsed one would hide a failure.
    lines = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert len(lines) == sum(len(v) for v in errors.values()), result.stdout
    return errors


def test_examples_and_stubs_type_check(mypy_errors):
    assert len(EXAMPLES) >= 4
    found = {path: errors for path, errors in mypy_errors.items() if path != MISTAKES_FILE}
    assert found == {}, "\n".join(
        f"{path}:{line}: {message}" for path, errors in found.items() for line, message in errors
    )


def test_mistakes_are_reported(mypy_errors):
    """The check can fail: each mistake is an error on its own line."""
    reported = mypy_errors.get(MISTAKES_FILE, [])
    for line, (code, expected) in enumerate(MISTAKES.items(), start=3):
        messages = [message for at, message in reported if at == line]
        assert any(expected in message for message in messages), (code, expected, reported)
    assert {line for line, _ in reported} == set(range(3, 3 + len(MISTAKES))), reported


# The stubs against the Python code --------------------------------------------------------


@dataclass
class Module:
    """A module's top-level bindings, read with ast (the code's or a stub's)."""

    name: str
    path: Path
    is_package: bool
    stub: bool
    # name -> the statements that bind it at module level (any branch of an if or a try)
    bindings: dict[str, list[ast.stmt]] = field(default_factory=dict)
    # name -> (module, name) it was imported from
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    # names the code imports, not its own: from outside the project (array, micropython's
    # const) or from a public module of it (tinyml.sensors' I2CDevice in a driver)
    foreign: set[str] = field(default_factory=set)

    def public(self) -> set[str]:
        return {n for n in self.bindings if not n.startswith("_") and n not in self.foreign}

    def lazy(self) -> set[str]:
        """The names a module's __getattr__ makes: the string keys of its dict literals."""
        if "__getattr__" not in self.bindings:
            return set()
        names = set()
        for nodes in self.bindings.values():
            for node in nodes:
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                    names |= {
                        k.value
                        for k in node.value.keys
                        if isinstance(k, ast.Constant) and isinstance(k.value, str)
                    }
        return names

    def classes(self) -> dict[str, ast.ClassDef]:
        return {
            name: node
            for name, nodes in self.bindings.items()
            for node in nodes
            if isinstance(node, ast.ClassDef)
        }


def _is_project(module: str) -> bool:
    return module.split(".")[0] in PROJECT_MODULES


def _private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def read_module(name: str, path: Path, stub: bool) -> Module:
    module = Module(name, path, path.stem == "__init__", stub)
    package = name if module.is_package else name.rpartition(".")[0]

    def bind(target: ast.expr, node: ast.stmt) -> None:
        if isinstance(target, ast.Name):
            module.bindings.setdefault(target.id, []).append(node)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                bind(element, node)

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                module.bindings.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    bind(target, node)
            elif isinstance(node, ast.AnnAssign):
                bind(node.target, node)
            elif isinstance(node, ast.ImportFrom):
                source = node.module or ""
                if node.level:
                    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    source = f"{base}.{source}" if source else base
                for alias in node.names:
                    local = alias.asname or alias.name
                    module.imports[local] = (source, alias.name)
                    if stub:
                        # A stub re-exports only `from m import x as x` (PEP 484).
                        if alias.asname == alias.name:
                            module.bindings.setdefault(local, []).append(node)
                    elif _is_project(source) and _private(source):
                        # What the firmware builds (_tflm, _features, tinyml._board) is API
                        # where tinyml imports it; a public module's names are its own API.
                        module.bindings.setdefault(local, []).append(node)
                    else:
                        module.foreign.add(local)
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.With):
                visit(node.body)

    visit(ast.parse(path.read_text(), str(path)).body)
    return module


def _modules(folder: Path, suffix: str, stub: bool) -> dict[str, Module]:
    modules = {}
    for path in sorted(folder.rglob("*" + suffix)):
        parts = path.relative_to(folder).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        modules[name] = read_module(name, path, stub)
    return modules


CODE = {n: m for n, m in _modules(DEVICE, ".py", False).items() if n.startswith("tinyml")}
STUB = _modules(STUBS, ".pyi", True)
API = sorted(set(CODE) - set(NOT_API))


def test_every_module_has_a_stub():
    stubbed = {n for n in STUB if n.startswith("tinyml") and not _private(n)}
    assert set(API) - stubbed == set(), "modules without a stub"
    assert stubbed - set(API) == set(), "stubs of modules the code lacks"
    # Stub-only helpers (tinyml._types) are private and name no module of the board.
    assert {n for n in STUB if _private(n) and n in CODE} == set()
    assert set(NATIVE_SOURCES) <= set(STUB)


@dataclass
class Class:
    module: Module
    node: ast.ClassDef
    modules: dict[str, Module]

    def own(self) -> set[str]:
        """Names the class body binds; in the code also the attributes its methods use on
        `self` (set, or read as an interface that subclasses provide)."""
        names = set()
        for node in self.node.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            if not self.module.stub and isinstance(node, ast.FunctionDef) and node.args.args:
                me = node.args.args[0].arg
                names |= {
                    n.attr
                    for n in ast.walk(node)
                    if isinstance(n, ast.Attribute)
                    and isinstance(n.value, ast.Name)
                    and n.value.id == me
                }
        return names

    def bases(self) -> list[Class]:
        found = []
        for base in self.node.bases:
            if isinstance(base, ast.Name):
                cls = resolve_class(self.modules, self.module.name, base.id)
                if cls is not None:
                    found.append(cls)
        return found

    def names(self) -> set[str]:
        names = self.own()
        for base in self.bases():
            names |= base.names()
        return names

    def defs(self, name: str) -> list[ast.FunctionDef]:
        """The class's own definitions of method `name` (getter and setter, overloads), or
        the first base's that has any."""
        own = [n for n in self.node.body if isinstance(n, ast.FunctionDef) and n.name == name]
        if own:
            return own
        for base in self.bases():
            found = base.defs(name)
            if found:
                return found
        return []


def resolve_class(modules: dict[str, Module], module: str, name: str) -> Class | None:
    found = modules.get(module)
    if found is None:
        return None
    classes = found.classes()
    if name in classes:
        return Class(found, classes[name], modules)
    if name in found.imports:
        return resolve_class(modules, *found.imports[name])
    return None


def _decorators(fn: ast.FunctionDef) -> set[str]:
    return {ast.unparse(d) for d in fn.decorator_list}


def _is_property(defs: list[ast.FunctionDef]) -> bool:
    return any("property" in _decorators(fn) for fn in defs)


def _has_setter(defs: list[ast.FunctionDef]) -> bool:
    return any(d.endswith(".setter") for fn in defs for d in _decorators(fn))


def parameters(fn: ast.FunctionDef) -> list[tuple[str, str, str | None]]:
    """(name, kind, default as source or None) of each parameter."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
    defaults += a.defaults
    found = []
    for i, (arg, default) in enumerate(zip(positional, defaults)):
        kind = "positional-only" if i < len(a.posonlyargs) else "positional"
        found.append((arg.arg, kind, None if default is None else ast.unparse(default)))
    if a.vararg:
        found.append((a.vararg.arg, "*args", None))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        found.append((arg.arg, "keyword-only", None if default is None else ast.unparse(default)))
    if a.kwarg:
        found.append((a.kwarg.arg, "**kwargs", None))
    return found


def _same_parameters(code: ast.FunctionDef, stub: ast.FunctionDef) -> bool:
    """Names, kinds and defaults alike; a stub's default `...` stands for any default, and an
    overload's defaults are its own."""
    expected, got = parameters(code), parameters(stub)
    if [(n, k) for n, k, _ in expected] != [(n, k) for n, k, _ in got]:
        return False
    overload = "overload" in _decorators(stub)
    for (_, _, want), (_, _, have) in zip(expected, got):
        if overload or have == "...":
            continue
        if want != have:
            return False
    return True


def _compare_function(where: str, code: list[ast.FunctionDef], stub: list[ast.FunctionDef]):
    """Problems of a stub's definitions of one function or method against the code's."""
    if _is_property(code):
        problems = [] if _is_property(stub) else [f"{where}: a property in the code"]
        if _has_setter(code) != _has_setter(stub):
            problems.append(f"{where}: settable in the code: {_has_setter(code)}")
        return problems
    if _is_property(stub):
        return [f"{where}: a method in the code, a property in the stub"]
    return [
        f"{where}: the code's parameters are {parameters(code[0])}, the stub's {parameters(s)}"
        for s in stub
        if not _same_parameters(code[0], s)
    ]


def compare_class(where: str, code: Class, stub: Class) -> list[str]:
    problems = []
    code_own = [n for n in code.node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    required = {n.name for n in code_own if not n.name.startswith("_") or n.name == "__init__"}
    for name in sorted(required):
        if not stub.defs(name) and name not in stub.names():
            problems.append(f"{where}.{name}: no stub")
    stub_own = stub.own()
    extra = {n for n in stub_own if not n.startswith("_")} - code.names()
    problems += [f"{where}.{name}: the code lacks it" for name in sorted(extra)]
    # Each method as the class has it, its own or a base's, in the code and in the stub.
    compared = required | {n for n in stub_own if not n.startswith("_") or n == "__init__"}
    for name in sorted(compared):
        code_defs, stub_defs = code.defs(name), stub.defs(name)
        if stub_defs and code_defs:
            problems += _compare_function(f"{where}.{name}", code_defs, stub_defs)
    return problems


@pytest.mark.parametrize("name", API)
def test_module_matches_stub(name):
    code, stub = CODE[name], STUB[name]
    problems = []
    missing = code.public() - stub.public()
    problems += [f"{name}.{n}: no stub" for n in sorted(missing)]
    # What a stub may name: the code's names, those its __getattr__ makes, its submodules.
    submodules = {m.rpartition(".")[2] for m in CODE if m.rpartition(".")[0] == name}
    allowed = set(code.bindings) | code.lazy() | submodules
    problems += [f"{name}.{n}: the code lacks it" for n in sorted(stub.public() - allowed)]
    if code.lazy() - stub.public():
        problems.append(f"{name}: no stub for {sorted(code.lazy() - stub.public())}")
    for n in sorted(set(code.bindings) & set(stub.bindings)):
        code_nodes, stub_nodes = code.bindings[n], stub.bindings[n]
        code_defs = [x for x in code_nodes if isinstance(x, ast.FunctionDef)]
        stub_defs = [x for x in stub_nodes if isinstance(x, ast.FunctionDef)]
        code_classes = [x for x in code_nodes if isinstance(x, ast.ClassDef)]
        stub_classes = [x for x in stub_nodes if isinstance(x, ast.ClassDef)]
        if code_classes:
            if not stub_classes:
                problems.append(f"{name}.{n}: a class in the code, not in the stub")
                continue
            problems += compare_class(
                f"{name}.{n}",
                Class(code, code_classes[0], CODE),
                Class(stub, stub_classes[0], STUB),
            )
        elif code_defs:
            if not stub_defs:
                problems.append(f"{name}.{n}: a function in the code, not in the stub")
                continue
            problems += _compare_function(f"{name}.{n}", code_defs, stub_defs)
    assert not problems, "\n".join(problems)


def test_stubs_are_fully_annotated():
    """Every parameter (but a method's self) and every return has a type: mypy's strict mode
    is relaxed for the examples' own functions, so the stubs are held to it here."""
    problems = []
    for name, module in STUB.items():
        tree = ast.parse(module.path.read_text())
        methods = {
            id(fn)
            for cls in ast.walk(tree)
            if isinstance(cls, ast.ClassDef)
            for fn in cls.body
            if isinstance(fn, ast.FunctionDef)
        }
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            a = fn.args
            args = a.posonlyargs + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x]
            if id(fn) in methods:
                args = args[1:]
            untyped = [x.arg for x in args if x.annotation is None]
            if untyped or fn.returns is None:
                problems.append(f"{name}.{fn.name} (line {fn.lineno}): {untyped or 'return'}")
    assert not problems, "\n".join(problems)


# The stubs against the C modules ----------------------------------------------------------


@dataclass
class NativeModule:
    """What native_modules/tflm/mod*.c defines: names from the MP_ROM_QSTR tables."""

    globals: dict[str, str]  # qstr -> the value's C text (MP_ROM_PTR(&x), MP_ROM_INT(...))
    functions: dict[str, tuple]  # function object -> ("between", min, max) or ("kw", c function)
    types: dict[str, dict[str, str]]  # type object -> its slots (make_new, attr, locals_dict)
    dicts: dict[str, dict[str, str]]  # dict object -> {qstr: value}
    strings: set[str]  # MP_DEFINE_STR_OBJ objects
    source: str

    def body(self, function: str) -> str:
        match = re.search(
            rf"^(?:static )?(?:mp_obj_t|void) {function}\((.*?)^\}}", self.source, re.S | re.M
        )
        assert match, function
        return match.group(1)

    def arg_table(self, function: str) -> list[tuple[str, str]]:
        """The (qstr, flags) of a function's mp_arg_t table, in order."""
        return re.findall(r"\{\s*MP_QSTR_(\w+),\s*([^,]+),", self.body(function))

    def attributes(self, function: str) -> set[str]:
        return set(re.findall(r"case MP_QSTR_(\w+):", self.body(function)))


def read_native(path: Path) -> NativeModule:
    source = path.read_text()
    tables = {}
    for table, body in re.findall(r"mp_rom_map_elem_t (\w+)\[\] = \{(.*?)\n\};", source, re.S):
        tables[table] = dict(re.findall(r"MP_ROM_QSTR\(MP_QSTR_(\w+)\),\s*(.+?) \}", body))
    dicts = {
        name: tables[table]
        for name, table in re.findall(r"MP_DEFINE_CONST_DICT\((\w+), (\w+)\)", source)
    }
    functions: dict[str, tuple] = {}
    for arity, obj in re.findall(r"MP_DEFINE_CONST_FUN_OBJ_([0-3])\((\w+),", source):
        functions[obj] = ("between", int(arity), int(arity))
    for obj, low, high in re.findall(
        r"MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN\((\w+), (\d+), (\d+),", source
    ):
        functions[obj] = ("between", int(low), int(high))
    for obj, function in re.findall(r"MP_DEFINE_CONST_FUN_OBJ_KW\((\w+), \d+, (\w+)\)", source):
        functions[obj] = ("kw", function)
    types = {
        obj: dict(re.findall(r"(make_new|attr|locals_dict), &?(\w+)", slots))
        for obj, slots in re.findall(r"MP_DEFINE_CONST_OBJ_TYPE\(\s*(\w+),(.*?)\);", source, re.S)
    }
    module = re.search(r"MP_REGISTER_MODULE\(MP_QSTR_\w+, (\w+)\)", source)
    assert module, path
    globals_dict = re.search(
        rf"{module.group(1)} = \{{.*?\.globals = \(mp_obj_dict_t \*\)&(\w+)", source, re.S
    )
    assert globals_dict, path
    strings = set(re.findall(r"MP_DEFINE_STR_OBJ\((\w+),", source))
    return NativeModule(dicts[globals_dict.group(1)], functions, types, dicts, strings, source)


def _object(value: str) -> str | None:
    match = re.fullmatch(r"MP_ROM_PTR\(&(\w+)\)", value)
    return match.group(1) if match else None


def _compare_native_function(
    where: str, native: NativeModule, obj: str, stub: list[ast.FunctionDef], method: bool
) -> list[str]:
    spec = native.functions.get(obj)
    if spec is None:  # not defined here (mp_identity_obj)
        return []
    problems = []
    for fn in stub:
        found = parameters(fn)
        if spec[0] == "kw":
            table = native.arg_table(spec[1])
            problems += _compare_arg_table(where, table, found[1:] if method else found, fn)
            continue
        # Positional arguments only (a method's self counts, as in the C arity).
        kinds = {kind for _, kind, _ in (found[1:] if method else found)}
        if kinds - {"positional-only"}:
            problems.append(f"{where}: C takes positional arguments only, the stub {found}")
        required = sum(1 for _, _, default in found if default is None)
        if (required, len(found)) != spec[1:]:
            problems.append(f"{where}: C takes {spec[1]} to {spec[2]} arguments, the stub {found}")
    return problems


def _compare_arg_table(where: str, table, found, fn: ast.FunctionDef) -> list[str]:
    """An mp_arg_t table against a stub's parameters: names, keyword-only, required (which an
    overload decides for itself)."""
    overload = "overload" in _decorators(fn)
    expected = [
        (
            name,
            "keyword-only" if "MP_ARG_KW_ONLY" in flags else "positional",
            None if overload else "MP_ARG_REQUIRED" in flags,
        )
        for name, flags in table
    ]
    got = [(n, kind, None if overload else default is None) for n, kind, default in found]
    return [] if expected == got else [f"{where}: C's arguments are {expected}, the stub's {got}"]


@pytest.mark.parametrize("name", sorted(NATIVE_SOURCES))
def test_native_module_matches_stub(name):
    native = read_native(NATIVE_SOURCES[name])
    stub = STUB[name]
    assert native.globals and native.functions and native.types  # the C was understood
    names = {q for q in native.globals if not q.startswith("_")}
    problems = [f"{name}.{n}: no stub" for n in sorted(names - stub.public())]
    problems += [f"{name}.{n}: the C lacks it" for n in sorted(stub.public() - names)]
    for qstr in sorted(names & stub.public()):
        where = f"{name}.{qstr}"
        obj = _object(native.globals[qstr])
        nodes = stub.bindings[qstr]
        if obj in native.types:
            classes = [n for n in nodes if isinstance(n, ast.ClassDef)]
            if not classes:
                problems.append(f"{where}: a type in C, not a class in the stub")
                continue
            problems += _compare_native_class(where, native, native.types[obj], classes[0])
        elif obj in native.functions:
            defs = [n for n in nodes if isinstance(n, ast.FunctionDef)]
            if not defs:
                problems.append(f"{where}: a function in C, not in the stub")
                continue
            problems += _compare_native_function(where, native, obj, defs, method=False)
        elif not all(isinstance(n, ast.AnnAssign) for n in nodes):
            problems.append(f"{where}: a value in C ({native.globals[qstr]}), not in the stub")
    assert not problems, "\n".join(problems)


def _compare_native_class(where: str, native: NativeModule, slots, cls: ast.ClassDef):
    methods = native.dicts[slots["locals_dict"]] if "locals_dict" in slots else {}
    attributes = native.attributes(slots["attr"]) if "attr" in slots else set()
    stub_defs: dict[str, list[ast.FunctionDef]] = {}
    stub_values = set()
    for node in cls.body:
        if isinstance(node, ast.FunctionDef):
            stub_defs.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            stub_values.add(node.target.id)
    properties = {n for n, defs in stub_defs.items() if _is_property(defs)} | stub_values
    plain = {n for n in stub_defs if n not in properties}
    public = {n for n in methods if not n.startswith("_")}
    problems = [
        f"{where}.{n}: no stub"
        for n in sorted((public | attributes) - set(stub_defs) - stub_values)
    ]
    problems += [
        f"{where}.{n}: the C lacks it"
        for n in sorted({n for n in plain | properties if not n.startswith("_")})
        if n not in public | attributes
    ]
    problems += [f"{where}.{n}: a method in C" for n in sorted(public & properties)]
    problems += [f"{where}.{n}: an attribute in C" for n in sorted(attributes & plain)]
    for qstr, value in methods.items():
        if qstr in stub_defs:
            obj = _object(value)
            if obj:
                problems += _compare_native_function(
                    f"{where}.{qstr}", native, obj, stub_defs[qstr], method=True
                )
    if "make_new" in slots:
        if "__init__" not in stub_defs:
            problems.append(f"{where}: no __init__ in the stub")
        else:
            table = native.arg_table(slots["make_new"])
            for fn in stub_defs["__init__"]:
                problems += _compare_arg_table(f"{where}()", table, parameters(fn)[1:], fn)
    return problems
