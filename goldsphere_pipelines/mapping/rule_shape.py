"""What a compiled rule is made of, as the fast path (compiled.py) reads it.

`engine.CompiledRule` builds its fast path from its own fields, and the fast path reads
those fields back: naming the shape here lets both modules depend on it instead of on
each other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from goldsphere_pipelines.mapping.parsers import WeightOptions
from goldsphere_pipelines.mapping.paths import SourcePath
from goldsphere_pipelines.mapping.targets import TargetSpec
from goldsphere_pipelines.mapping.transforms import Keyword


class RuleShape(Protocol):
    """The fields of one target's compiled rule (see `engine.CompiledRule`)."""

    @property
    def target(self) -> TargetSpec: ...
    @property
    def paths(self) -> tuple[SourcePath, ...]: ...
    @property
    def required(self) -> bool: ...
    @property
    def regex(self) -> re.Pattern[str] | None: ...
    @property
    def mapping(self) -> Mapping[str, Any] | None: ...
    @property
    def keywords(self) -> tuple[Keyword, ...]: ...
    @property
    def has_default(self) -> bool: ...
    @property
    def default(self) -> Any: ...
    @property
    def sum(self) -> bool: ...
    @property
    def weight_options(self) -> WeightOptions: ...
