"""Framework files: read, checked for YAML mistakes, validated, and the shipped default."""

from functools import cache
from pathlib import Path

import yaml

from assessments.framework.model import Framework
from assessments.framework.validation import FrameworkError, build_framework

# The shipped YAML files sit next to this package, in assessments/frameworks/.
FRAMEWORKS_DIR = Path(__file__).resolve().parent.parent / "frameworks"
DEFAULT_FRAMEWORK_FILE = FRAMEWORKS_DIR / "ladder-2026.1.yaml"


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
    try:
        # compose() builds the node tree only (no objects), so we can refuse repeated keys,
        # which safe_load would silently let the last one win.
        repeated = _repeated_keys(yaml.compose(text, Loader=yaml.SafeLoader), "")
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FrameworkError([f"{source}: {_yaml_problem(exc)}"]) from None
    if repeated:
        raise FrameworkError([f"{source}: {problem}" for problem in repeated])
    return build_framework(data, source)


@cache
def default_framework() -> Framework:
    """The framework shipped with the app, loaded once per process."""
    return load_framework(DEFAULT_FRAMEWORK_FILE)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
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
            child = f"{path}.{name}" if path else name
            if name in names:
                line = key_node.start_mark.line + 1
                problems.append(f"{child}: given twice (again on line {line})")
            names.add(name)
            problems += _repeated_keys(value_node, child, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _repeated_keys(item, f"{path}[{index}]", seen_nodes)
    return problems
