"""Framework files: read, checked for YAML mistakes, validated, and the shipped default."""

from functools import cache
from pathlib import Path

import yaml

from assessments.framework.fields import FrameworkError, join_path
from assessments.framework.model import Framework, build_framework

# The shipped YAML files sit next to this package, in assessments/frameworks/.
FRAMEWORKS_DIR = Path(__file__).resolve().parent.parent / "frameworks"
# The version new assessments start on; older shipped versions stay for the assessments on them.
DEFAULT_FRAMEWORK_FILE = FRAMEWORKS_DIR / "ladder-2026.2.yaml"

# The shipped file has about 1,700 values nested 6 deep. An alias counts as every value it
# repeats, so a few hundred bytes of aliases to aliases cannot grow into millions of values.
MAX_VALUES = 20_000
MAX_DEPTH = 20


def load_framework(path: str | Path) -> Framework:
    """Read and validate a framework file; FrameworkError names the file when it is unusable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = getattr(exc, "strerror", None) or exc
        raise FrameworkError([f"{path.name}: cannot read the file: {problem}"]) from exc
    return parse_framework(text, path.name)


def parse_framework(text: str, source: str) -> Framework:
    """Validate framework YAML; `source` names the file (or upload) in error messages."""
    loader = _Loader(text)
    try:
        # The node tree first (no objects), so we can refuse repeated keys, which
        # constructing would silently let the last one win.
        node = loader.get_single_node()
        repeated = _repeated_keys(node, "")
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise FrameworkError([f"{source}: {_yaml_problem(exc)}"]) from None
    except (ValueError, OverflowError) as exc:  # e.g. an impossible date, a 5,000-digit number
        problem = f"invalid YAML: a value cannot be read: {str(exc)[:200]}"
        raise FrameworkError([f"{source}: {problem}"]) from None
    finally:
        loader.dispose()
    if repeated:
        raise FrameworkError([f"{source}: {problem}" for problem in repeated])
    return build_framework(data, source)


@cache
def default_framework() -> Framework:
    """The framework version new assessments start on, loaded once per process."""
    return load_framework(DEFAULT_FRAMEWORK_FILE)


@cache
def _shipped_frameworks() -> dict[tuple[str, str], Framework]:
    found = {}
    for path in sorted(FRAMEWORKS_DIR.glob("*.yaml")):
        framework = default_framework() if path == DEFAULT_FRAMEWORK_FILE else load_framework(path)
        found[framework.id, framework.version] = framework
    return found


def shipped_framework(key, version) -> Framework | None:
    """The shipped framework with this id and version, the default or an older one; None if
    the app ships no such version."""
    if not (isinstance(key, str) and isinstance(version, str)):
        return None
    return _shipped_frameworks().get((key, version))


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses a document nested too deep or with too many values, counting
    an alias as all the values it repeats, and an alias inside the value it names."""

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0
        self.values = 0
        self.sizes = {}  # id(node) -> how many values it holds, itself included, once composed

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if id(node) not in self.sizes:
                self._refuse("an alias refers to a value that contains it", event)
            self._count(self.sizes[id(node)], event)
            return node
        if self.depth == MAX_DEPTH:
            self._refuse(f"nested deeper than {MAX_DEPTH} levels", event)
        before = self.values
        self._count(1, event)
        self.depth += 1
        node = super().compose_node(parent, index)
        self.depth -= 1
        self.sizes[id(node)] = self.values - before
        return node

    def _count(self, values: int, event) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            self._refuse(f"more than {MAX_VALUES} values once aliases are expanded", event)

    def _refuse(self, problem: str, event):
        raise yaml.composer.ComposerError(None, None, problem, event.start_mark)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    # PyYAML quotes the input in some problems (a tag, an anchor): keep the start only.
    problem = str(getattr(exc, "problem", None) or exc)[:200]
    if mark is None:
        return f"invalid YAML: {problem}"
    return f"line {mark.line + 1}, column {mark.column + 1}: invalid YAML: {problem}"


def _repeated_keys(node, path: str, seen_nodes=None) -> list[str]:
    if node is None:
        return []
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if id(node) in seen_nodes:  # an alias: already checked, and it may be recursive
        return []
    seen_nodes.add(id(node))
    problems = []
    if isinstance(node, yaml.MappingNode):
        names = set()
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            child = join_path(path, name)
            if name in names:
                line = key_node.start_mark.line + 1
                problems.append(f"{child}: given twice (again on line {line})")
            names.add(name)
            problems += _repeated_keys(value_node, child, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _repeated_keys(item, f"{path}[{index}]", seen_nodes)
    return problems
