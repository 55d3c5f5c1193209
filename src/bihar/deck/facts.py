"""The figures a slide quotes, read from `reports/*.json`: a missing file or key is an error
that names it and the command that writes it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class MissingFactError(LookupError):
    """A report or a key the deck needs is absent."""


@dataclass(frozen=True)
class Reports:
    """Every `reports/<name>.json`, by name."""

    folder: Path
    documents: Mapping[str, Any]

    @classmethod
    def load(cls, folder: Path) -> Reports:
        documents = {
            path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("*.json"))
        }
        return cls(folder, documents)

    def get(self, path: str) -> Any:
        """The value at `report/key/key…`: keys may hold spaces and dots, and slashes (a key
        `/predictions` is written `results//predictions`: the longest key that exists wins);
        `@key` stands for the value of the report's `key`."""
        name, *parts = path.split("/")
        if name not in self.documents:
            raise MissingFactError(f"{self.folder / name}.json is missing (needed for {path})")
        # `@key`: the key named by the report's own `key` (say, the model it serves)
        parts = [str(self.get(f"{name}/{p[1:]}")) if p.startswith("@") else p for p in parts]
        value, done = self.documents[name], 0
        while done < len(parts):
            for end in range(len(parts), done, -1):
                key = "/".join(parts[done:end])
                if isinstance(value, Mapping) and key in value:
                    value, done = value[key], end
                    break
            else:
                where = "/".join([name, *parts[:done]])
                raise MissingFactError(
                    f"{self.folder / name}.json has no {parts[done]!r} under {where} (needed for "
                    f"{path}); rerun the command that writes it: {self._command(name)}"
                )
        return value

    def _command(self, name: str) -> str:
        document = self.documents.get(name)
        if isinstance(document, Mapping) and isinstance(document.get("command"), str):
            return document["command"]
        return "see README"


def formatted(value: Any, spec: str = "") -> str:
    """`value` as a slide shows it: `spec` is a format spec (`.3f`, `.1%`, `,`) or `yesno` (a
    boolean), else `str`."""
    if spec == "yesno":
        if not isinstance(value, bool):
            raise MissingFactError(f"{value!r} is not a yes/no fact")
        return "yes" if value else "no"
    if spec:
        return format(value, spec)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
