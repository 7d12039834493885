"""Untrusted XGBoost model files: checked with a bounded reader before XGBoost sees them.

XGBoost's loader trusts its input: a tree whose child points back at its parent crashes ``get_dump`` with
a segfault, an out-of-range child aborts, a 20,000-level tree overflows the stack, and ``num_class=1e8``
in a 26 kB file takes gigabytes to load. Every one of those would take the whole app server down. So:

- a JSON file is parsed by Python (size-capped) and its structure checked here: counts capped, every
  per-tree array as long as the tree, children -1 or a later node of the same tree, every node reached
  once from the root, split features below ``num_feature``, depth at most ``MAX_DEPTH``;
- a UBJSON file is decoded by XGBoost in a short-lived subprocess with memory and CPU limits, which
  hands back the model as JSON (a crash there is a plain ``DataError``), and that JSON is checked the same way.

Only a checked JSON document is ever loaded into this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from tuning.errors import DataError

MAX_BYTES = 50 * 2**20
MAX_CLASSES = 1000
MAX_FEATURES = 100_000
MAX_TREES = 100_000
MAX_NODES = 20_000_000
MAX_DEPTH = 64
SUBPROCESS_MEMORY = 2 * 2**30
SUBPROCESS_CPU_S = 30
_FIX = "Upload the file booster.save_model('model.json') wrote, unchanged."


@dataclass(frozen=True)
class CheckedModel:
    """A model document that passed the checks: its JSON bytes, and its depth from the parsed trees."""

    json_bytes: bytes
    max_depth: int
    n_trees: int


def _bad(label: str, why: str) -> DataError:
    return DataError(f"{label} is not a model this app will load: {why}.", fix=_FIX)


def _int(v: Any, what: str, label: str, *, low: int, high: int) -> int:
    try:
        n = int(str(v).strip("[]"))
    except (TypeError, ValueError):
        raise _bad(label, f"{what} is not a whole number") from None
    if not low <= n <= high:
        raise _bad(label, f"{what} is {n}, outside {low}..{high}")
    return n


def _trees(booster: dict[str, Any]) -> list[Any]:
    name = booster.get("name")
    if name == "dart":
        booster = booster.get("gbtree") or {}
    elif name == "gblinear":
        return []
    elif name != "gbtree":
        raise ValueError(f"an unknown booster {name!r}")
    trees = (booster.get("model") or {}).get("trees")
    if not isinstance(trees, list):
        raise ValueError("no list of trees")
    return trees


def _check_tree(tree: Any, i: int, n_features: int, label: str) -> int:
    """The tree's depth; raises on any structure XGBoost would mis-handle."""
    if not isinstance(tree, dict):
        raise _bad(label, f"tree {i} is not an object")
    n = _int((tree.get("tree_param") or {}).get("num_nodes"), f"tree {i}'s node count", label, low=1, high=MAX_NODES)
    arrays = ("left_children", "right_children", "parents", "split_indices", "split_conditions", "base_weights")
    for key in arrays:
        a = tree.get(key)
        if not isinstance(a, list) or len(a) != n:
            raise _bad(label, f"tree {i}'s {key} does not hold one entry per node")
    left, right, split = tree["left_children"], tree["right_children"], tree["split_indices"]
    depth = [0] * n
    seen = [False] * n
    seen[0] = True
    for node in range(n):  # children always come after their parent in XGBoost's layout
        lc, rc = left[node], right[node]
        if not (isinstance(lc, int) and isinstance(rc, int)):
            raise _bad(label, f"tree {i} has a child index that is not a number")
        if (lc == -1) != (rc == -1):
            raise _bad(label, f"tree {i}'s node {node} has one child")
        if lc == -1:
            continue
        if not seen[node]:
            raise _bad(label, f"tree {i}'s node {node} cannot be reached from the root")
        sf = split[node]
        if not isinstance(sf, int) or not 0 <= sf < n_features:
            raise _bad(label, f"tree {i}'s node {node} splits on feature {sf!r} of {n_features}")
        for c in (lc, rc):
            if not node < c < n:
                raise _bad(label, f"tree {i}'s node {node} points to node {c} (children come later, below {n})")
            if seen[c]:
                raise _bad(label, f"tree {i}'s node {c} is reached twice")
            seen[c] = True
            depth[c] = depth[node] + 1
            if depth[c] > MAX_DEPTH:
                raise _bad(label, f"tree {i} is deeper than {MAX_DEPTH} levels")
    deleted = _int(
        (tree.get("tree_param") or {}).get("num_deleted", 0), f"tree {i}'s deleted count", label, low=0, high=n
    )
    if seen.count(False) > deleted:  # nodes pruned away may stay in the arrays, marked deleted; no others
        raise _bad(label, f"tree {i} has nodes that cannot be reached from the root")
    return max(depth)


def check_document(doc: Any, label: str) -> tuple[int, int]:
    """(max depth, number of trees) of a parsed model document; a plain DataError when it is not safe."""
    try:
        learner = doc["learner"]
        param = learner["learner_model_param"]
        booster = learner["gradient_booster"]
    except (KeyError, TypeError):
        raise _bad(label, "it does not have XGBoost's model layout (learner, parameters, booster)") from None
    _int(param.get("num_class", 0), "num_class", label, low=0, high=MAX_CLASSES)
    _int(param.get("num_target", 1), "num_target", label, low=1, high=MAX_CLASSES)
    n_features = _int(param.get("num_feature"), "num_feature", label, low=1, high=MAX_FEATURES)
    names = learner.get("feature_names") or []
    if names and (len(names) != n_features or not all(isinstance(x, str) and len(x) <= 1000 for x in names)):
        raise _bad(label, f"it names {len(names)} features but has {n_features}")
    try:
        trees = _trees(booster)
    except (ValueError, AttributeError, TypeError) as exc:
        raise _bad(label, str(exc)) from None
    if len(trees) > MAX_TREES:
        raise _bad(label, f"it holds {len(trees)} trees (at most {MAX_TREES})")
    total = 0
    depth = 0
    for i, tree in enumerate(trees):
        depth = max(depth, _check_tree(tree, i, n_features, label))
        total += len(tree["left_children"])
        if total > MAX_NODES:
            raise _bad(label, f"it holds more than {MAX_NODES:,} nodes")
    return depth, len(trees)


def _decode_ubj(content: bytes, label: str) -> bytes:
    """UBJSON -> JSON by XGBoost itself, in a subprocess that cannot take this process down."""
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({SUBPROCESS_MEMORY}, {SUBPROCESS_MEMORY}))\n"
        f"resource.setrlimit(resource.RLIMIT_CPU, ({SUBPROCESS_CPU_S}, {SUBPROCESS_CPU_S}))\n"
        "import xgboost as xgb\n"
        "b = xgb.Booster(); b.load_model(bytearray(sys.stdin.buffer.read()))\n"
        "sys.stdout.buffer.write(bytes(b.save_raw(raw_format='json')))\n"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], input=content, capture_output=True, timeout=SUBPROCESS_CPU_S + 15
        )
    except subprocess.TimeoutExpired:
        raise _bad(label, "reading it took too long") from None
    if out.returncode != 0 or not out.stdout:
        raise _bad(label, "XGBoost could not read it (not UBJSON, truncated, damaged or too large)")
    return out.stdout


def unreadable(content: bytes, label: str) -> DataError:
    """The error for a model file XGBoost cannot read, saying what the bytes look like instead."""
    if content[:1] == b"\x80" or content[:2] in (b"PK", b"\x1f\x8b"):
        why = "it looks like a pickle or joblib file, which is never loaded here"
    elif label.lower().endswith(".json"):
        why = "it is not JSON, or it is truncated" if content.lstrip()[:1] != b"{" else "it is truncated or damaged"
    else:
        why = "it is not UBJSON, or it is truncated"
    return DataError(
        f"{label} is not a model XGBoost can read: {why}.",
        fix="Upload the file booster.save_model('model.json') or ('model.ubj') wrote, complete.",
    )


def check_model_file(content: bytes, label: str) -> CheckedModel:
    """The checked JSON of an uploaded ``.json`` or ``.ubj`` model, or a plain DataError."""
    if len(content) > MAX_BYTES:
        raise _bad(label, f"it is larger than {MAX_BYTES // 2**20} MB")
    try:
        raw = _decode_ubj(content, label) if label.lower().endswith(".ubj") else content
        doc = json.loads(raw)
    except (DataError, ValueError, RecursionError):
        raise unreadable(content, label) from None
    depth, n_trees = check_document(doc, label)
    return CheckedModel(raw, depth, n_trees)
