"""Each point's canonical config (the /configs table) as DataFrame columns.

The archive keeps a point's canonical YAML in 1 kB parts, its quantities as
text in base units ("85899345920 B", "3e+11 B/s"). This joins the parts,
reads every leaf as a dotted key path (network dimensions by number:
`network.0.bandwidth`), and turns each quantity into a number whose unit is
in the column's name: bytes in GiB (2^30, `hardware.memory_gib`), bandwidth
in GB/s (10^9 bytes, `network.0.bandwidth_gb_per_s`), FLOP rates in
TFLOP/s, times in seconds.

The canonical text is what astrasweep prints from a point's sorted key
paths: block mappings two spaces deep, list items of mappings opened by
"- ", plain scalars. That form is read line by line here (YAML parsing of
every point would take minutes for a large sweep); anything else (quoted
text, flow collections) goes to PyYAML, whose answer the tests hold the
fast reader to.
"""
import re

import numpy as np
import pandas as pd
import yaml

GIB = 2**30

# unit in the canonical text -> (column suffix, divisor)
UNITS = {
    "B": ("_gib", GIB),
    "B/s": ("_gb_per_s", 1e9),
    "FLOP/s": ("_tflop_per_s", 1e12),
    "s": ("_s", 1.0),
}

_NOT_PLAIN = set("\"'[]{}#&*!|>%@`")


def join_parts(rows):
    """{point_index: canonical text} from the /configs rows (parts in any order)."""
    if len(rows) == 0:
        return {}
    order = np.lexsort((rows["part"], rows["point_index"]))
    texts = {}
    for index, text in zip(rows["point_index"][order], rows["text"][order]):
        texts.setdefault(int(index), []).append(text)
    return {index: b"".join(parts).decode("utf-8") for index, parts in texts.items()}


def flatten(text):
    """{dotted key path: scalar text} of one canonical config."""
    leaves = _flatten_canonical(text)
    if leaves is None:
        leaves = {}
        _flatten_tree(yaml.load(text, Loader=_SafeLoader) or {}, [], leaves)
    return leaves


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _flatten_canonical(text):
    """The fast reader; None when the text is not in the plain canonical form."""
    if _NOT_PLAIN.intersection(text):
        return None
    leaves, parts = {}, []
    for line in text.splitlines():
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        if indent % 2:
            return None
        depth = indent // 2
        if content.startswith("- "):
            depth += 1
            previous = parts[depth - 1] if len(parts) >= depth else ""
            item = int(previous) + 1 if previous.isdigit() else 0
            if len(parts) < depth - 1:
                return None
            parts[depth - 1:] = [str(item)]
            content = content[2:]
        key, colon, value = content.partition(": ")
        if not colon:
            if not content.endswith(":") or " " in content:
                return None
            key, value = content[:-1], ""
        if len(parts) < depth or not key:
            return None
        del parts[depth:]
        parts.append(key)
        if value:
            leaves[".".join(parts)] = value
    return leaves


def _flatten_tree(node, path, leaves):
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten_tree(value, path + [str(key)], leaves)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _flatten_tree(value, path + [str(index)], leaves)
    else:
        leaves[".".join(path)] = _scalar_text(node)


def _scalar_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def config_columns(texts):
    """A DataFrame indexed by point index, one typed column per config leaf."""
    flat = _leaf_texts(texts)
    columns = {}
    for path in sorted(flat.columns, key=_path_order):
        name, values = typed_column(path, flat[path])
        columns[name] = values
    return pd.DataFrame(columns, index=flat.index)


def _leaf_texts(texts):
    """{point index: text} -> a DataFrame of leaf texts, one column per key path.

    The points of a sweep share a handful of shapes (the same keys in the
    same order, values aside), so each shape is read once: a text's values,
    in order, then line up with its shape's key paths.
    """
    shapes = {}  # keys-only text -> (key paths of its leaves, point indices, value rows)
    for index, text in texts.items():
        shape = _VALUE.sub(":", text)
        if shape not in shapes:
            leaves = flatten(text)
            plain = _flatten_canonical(text) is not None
            shapes[shape] = (list(leaves) if plain else None, [], [])
        paths, indices, rows = shapes[shape]
        indices.append(index)
        rows.append(_VALUE_TEXT.findall(text) if paths is not None else flatten(text))
    frames = []
    for paths, indices, rows in shapes.values():
        index = pd.Index(indices, name="point_index")
        if paths is None:
            frames.append(pd.DataFrame.from_records(rows, index=index))
        else:
            frames.append(pd.DataFrame(rows, columns=paths, index=index, dtype=object))
    if not frames:
        return pd.DataFrame(index=pd.Index([], name="point_index", dtype="uint64"))
    return frames[0] if len(frames) == 1 else pd.concat(frames).sort_index()


# a leaf's value in the plain canonical form (which has no ": " in a value)
_VALUE = re.compile(r": .*")
_VALUE_TEXT = re.compile(r": (.*)")


def _path_order(path):
    # network.10 after network.9: numeric parts compare as numbers
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in path.split(".")]


def typed_column(path, text):
    """(column name, values): a quantity converted, numbers and booleans typed.

    Decided on the distinct values, which are few in a config column.
    """
    distinct = [value for value in pd.unique(text) if isinstance(value, str)]
    missing = text.isna().any()
    units = {value.rpartition(" ")[2] for value in distinct if " " in value}
    if len(units) == 1 and all(" " in value for value in distinct):
        unit = units.pop()
        if unit in UNITS:
            suffix, divisor = UNITS[unit]
            numbers = {value: _number(value.rpartition(" ")[0]) for value in distinct}
            if None not in numbers.values():
                return path + suffix, text.map(numbers).astype(float) / divisor
    if distinct and set(distinct) <= {"true", "false"}:
        return path, text.map({"true": True, "false": False})
    numbers = {value: _number(value) for value in distinct}
    if distinct and None not in numbers.values():
        values = text.map(numbers)
        if all(isinstance(number, int) for number in numbers.values()):
            return path, values.astype("Int64" if missing else "int64")
        return path, values.astype(float)
    return path, text


def _number(text):
    """An int or float of the text, or None."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None
