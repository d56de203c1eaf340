"""The contract every generator (models.generators.base.Generator) must keep. A new generator runs
it by subclassing `GeneratorContract` and providing `make()` (see README "Extending")."""

from __future__ import annotations

from models.citations import verify
from models.generators import GENERATORS
from models.generators.base import GenerationRequest, Generator
from retrieval.types import Intent
from tests.conftest import make_evidence

EVIDENCE = [
    make_evidence(index=1, entity_id="d1", entity_name="非布司他片", entity_type="Drug", field="INDICATED_FOR",
             text="非布司他片的适应症：痛风、高尿酸血症", source="cmekg", target_name="痛风、高尿酸血症"),
    make_evidence(index=2, entity_id="d1", entity_name="非布司他片", entity_type="Drug", field="用法用量",
             text="非布司他片的用法用量：口服，一次40mg，一日一次", source="caregpt"),
]
REQUEST = GenerationRequest(question="非布司他片的适应症是什么？", evidence=EVIDENCE,
                            intent=Intent(name="indication"), max_new_tokens=64)


class GeneratorContract:
    #: whether answers are deterministic for the same request (greedy decoding, extractive)
    deterministic: bool = True

    def make(self) -> Generator:
        raise NotImplementedError

    def test_is_registered_under_its_name(self) -> None:
        gen = self.make()
        assert gen.name and gen.name in GENERATORS

    def test_warm_up_is_idempotent_and_status_is_text(self) -> None:
        gen = self.make()
        gen.warm_up()
        gen.warm_up()
        assert isinstance(gen.status(), str) and gen.status()

    def test_answers_in_text_and_stream_joins_to_it(self) -> None:
        gen = self.make()
        text = gen.generate(REQUEST)
        assert isinstance(text, str) and text.strip()
        pieces = list(gen.stream(REQUEST))
        assert all(isinstance(p, str) for p in pieces)
        if self.deterministic:
            assert "".join(pieces) == text

    def test_every_marker_it_writes_resolves(self) -> None:
        """Markers pointing nowhere are removed downstream, but a well-behaved generator writes none."""
        report = verify(self.make().generate(REQUEST), EVIDENCE)
        assert report.removed_markers == []

    def test_no_evidence_is_not_an_error(self) -> None:
        gen = self.make()
        out = gen.generate(REQUEST.model_copy(update={"evidence": []}))
        assert isinstance(out, str)
