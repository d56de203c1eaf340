"""The answer object: what `qizhen ask --json` prints and `POST /ask` returns."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class EntityRef(BaseModel):
    id: str
    name: str
    type: str
    match: str = Field(default="exact", description="how the question named it: exact | alias | variant | "
                       "typo | components | history (a follow-up inherited it)")


class Suggestion(BaseModel):
    """A near miss offered to the user instead of a guess: the service never chooses for them."""

    id: str
    name: str
    type: str
    why: str = Field(description="e.g. 名称中包含的已知药品 / 拼写相近")


class ComparisonRow(BaseModel):
    label: str = Field(description="分类 | 主要适应症 | 主要不良反应 | 禁忌 …")
    cells: list[str] = Field(description="one cell per compared entity, '' when the graph has nothing")
    citations: list[list[int]] = Field(default_factory=list, description="evidence indices per cell")


class Comparison(BaseModel):
    """Side-by-side of two (or more) entities for 'X和Y有什么区别' questions; the UI renders a table."""

    entities: list[EntityRef]
    rows: list[ComparisonRow] = []


class Citation(BaseModel):
    """A cited evidence item as the API and the UI see it: its text as rendered (retrieval.rendering)
    and the data behind it, so that nothing reads the text back."""

    index: int
    entity: str
    entity_type: str
    field: str
    text: str
    source: str = Field(description="the datasets comma-joined (cmekg,xywy)")
    entity_id: str = ""
    heading: str = Field(default="", description="what the text is about: X的适应症 …")
    items: list[str] = Field(default_factory=list, description="a list's shown names, in order; [] for prose")
    datasets: list[str] = Field(default_factory=list, description="the datasets that state it")

    @model_validator(mode="after")
    def _datasets_of_source(self) -> Citation:
        """A citation stored before `datasets` existed (a cached answer, a saved chat) names them in `source`."""
        if not self.datasets and self.source:
            self.datasets = [s.strip() for s in self.source.split(",") if s.strip()]
        return self


class Answer(BaseModel):
    answer: str
    grounded: bool
    intent: str
    entities: list[EntityRef] = []
    citations: list[Citation] = []
    unsupported: list[str] = Field(default_factory=list, description="sentences whose facts are not in the evidence")
    removed_markers: list[int] = Field(default_factory=list, description="[n] markers that pointed nowhere")
    suggestions: list[Suggestion] = Field(default_factory=list, description="near misses when nothing was linked")
    comparison: Comparison | None = None
    snapshot: str = ""
    generator: str = ""
    timings_ms: dict[str, float] = {}
