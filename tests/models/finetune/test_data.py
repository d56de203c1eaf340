"""The KG instruction builder: valid, deterministic, grouped, grounded, and held-out entities stay out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kg.normalize import normalize_name
from kg.vocabulary import FIELD_LABELS
from models.finetune.data import Holdout, build_data_files, build_instructions
from models.finetune.questions import TOPICS
from models.prompts import GROUNDED_RULES, AlpacaTemplate
from tests.conftest import make_evidence
from tests.models.finetune.memstore import MemoryStore


def test_records_are_valid_and_grouped(kg_store: MemoryStore) -> None:
    train, val = build_instructions(kg_store, templates_per_fact=1, val_ratio=0.0)
    assert not val and len(train) > 150
    for rec in train:
        assert rec.instruction and rec.output and rec.input == ""
    # one record per (entity, topic): each question about a drug's indications lists all of them
    drug = next(e for e in kg_store.entities.values() if e.type.value == "Drug")
    targets = [f.target_name for f in kg_store.facts(drug.id) if f.relation.value == "INDICATED_FOR"]
    answers = [r.output for r in train if r.output.startswith(f"{drug.name}的适应症")]
    assert len(answers) == 1
    assert all(t in answers[0] for t in targets)
    # every topic with facts is covered: relationships and properties
    keys = {t.key for t in TOPICS}
    outputs = "\n".join(r.output for r in train)
    assert "的用法用量：口服" in outputs and "关于" in outputs and "常做的检查有" in outputs
    assert keys  # table not empty


def test_deterministic_and_seed_dependent(kg_store: MemoryStore) -> None:
    a = build_instructions(kg_store, seed=3, templates_per_fact=2, val_ratio=0.1)
    b = build_instructions(kg_store, seed=3, templates_per_fact=2, val_ratio=0.1)
    assert a == b
    # a store that yields entities in another order gives the same data
    rev = MemoryStore()
    rev.upsert_entities(list(reversed(list(kg_store.entities.values()))))
    rev.upsert_relations(list(kg_store.relations.values()))
    assert build_instructions(rev, seed=3, templates_per_fact=2, val_ratio=0.1) == a
    c = build_instructions(kg_store, seed=4, templates_per_fact=2, val_ratio=0.1)
    assert [r.instruction for r in c[0]] != [r.instruction for r in a[0]]


def test_templates_per_fact_dedup_and_limit(kg_store: MemoryStore) -> None:
    one, _ = build_instructions(kg_store, templates_per_fact=1, val_ratio=0.0)
    three, _ = build_instructions(kg_store, templates_per_fact=3, val_ratio=0.0)
    assert 2.5 * len(one) < len(three) <= 3 * len(one)
    keys = [(r.instruction, r.input) for r in three]
    assert len(keys) == len(set(keys))
    limited, _ = build_instructions(kg_store, templates_per_fact=3, val_ratio=0.0, limit=25)
    assert len(limited) == 25


def test_relations_filter(kg_store: MemoryStore) -> None:
    train, _ = build_instructions(kg_store, rel_types=["HAS_SYMPTOM"], val_ratio=0.0)
    assert train and all("症状" in r.output for r in train)
    with pytest.raises(ValueError, match="unknown relationship"):
        build_instructions(kg_store, rel_types=["NOPE"])


def test_val_split_is_per_entity(kg_store: MemoryStore) -> None:
    train, val = build_instructions(kg_store, val_ratio=0.3, templates_per_fact=2)
    assert val and train
    subject = re.compile(r"^(.+?)(的|一般|与)")
    names_val = {m.group(1) for r in val if (m := subject.match(r.output))}
    names_train = {m.group(1) for r in train if (m := subject.match(r.output))}
    assert names_val and not (names_val & names_train)


def test_holdout_never_appears(kg_store: MemoryStore) -> None:
    diseases = [e for e in kg_store.entities.values() if e.type.value == "Disease"]
    drugs = [e for e in kg_store.entities.values() if e.type.value == "Drug"]
    # hold out one disease by name and one drug by its alias only (dosage form stripped)
    held = [diseases[0].name, drugs[0].aliases[0]]
    full, _ = build_instructions(kg_store, val_ratio=0.0, templates_per_fact=2)
    text_full = "\n".join(r.instruction + r.input + r.output for r in full)
    assert diseases[0].name in text_full and drugs[0].name in text_full
    for grounded in (False, True):
        train, val = build_instructions(kg_store, holdout=Holdout(held, kg_store), grounded=grounded,
                                        val_ratio=0.2, templates_per_fact=2)
        text = normalize_name("\n".join(r.instruction + r.input + r.output for r in train + val))
        for name in (diseases[0].name, drugs[0].name, *drugs[0].aliases):
            assert normalize_name(name) not in text
        assert len(train) + len(val) > 0.7 * len(full)


def test_grounded_cites_numbered_evidence(kg_store: MemoryStore) -> None:
    train, _ = build_instructions(kg_store, grounded=True, val_ratio=0.0, templates_per_fact=1)
    assert train
    for rec in train:
        assert rec.instruction.startswith(GROUNDED_RULES) and "问题：" in rec.instruction
        # "[3] 阿汀嗪注射液 不良反应: 便秘 (test)" as models.prompts.format_evidence writes it
        evidence = {n: value for n, value in re.findall(r"^\[(\d+)\] \S+ \S+: (.+) \(\w+\)$", rec.input, flags=re.M)}
        cited = re.findall(r"\[(\d+)\]", rec.output)
        assert evidence and cited
        for n in cited:
            assert n in evidence, (rec.output, rec.input)
            assert f"{evidence[n]}[{n}]" in rec.output
    # distractors: some records list more evidence than they cite
    assert any(len(re.findall(r"^\[\d+\]", r.input, flags=re.M)) > len(re.findall(r"\[\d+\]", r.output))
               for r in train)
    # the record renders exactly the grounded prompt inference builds for the same question and evidence
    rec = train[0]
    question = rec.instruction.split("问题：", 1)[1]
    prompt, _ = AlpacaTemplate().build_training_example(rec.instruction, rec.input, rec.output)
    evidence_items = [make_evidence(index=int(n), entity_id="x", entity_name=line.split(" ")[1],
                               entity_type="Drug", field=_field(line), text=v, source=src)
                      for line in rec.input.splitlines()[1:]
                      for n, v, src in re.findall(r"^\[(\d+)\] \S+ \S+: (.+) \((\w+)\)$", line)]
    assert AlpacaTemplate().build(question, evidence=evidence_items) == prompt


def _field(line: str) -> str:
    label = line.split(" ")[2].rstrip(":")
    return next((k for k, v in FIELD_LABELS.items() if v == label), label)


def test_build_data_files_cli_job(kg_store: MemoryStore, tmp_path: Path) -> None:
    holdout = tmp_path / "holdout.txt"
    name = next(e.name for e in kg_store.entities.values() if e.type.value == "Disease")
    holdout.write_text(f"# held out\n{name}\n\n", encoding="utf-8")
    res = build_data_files(kg_store, tmp_path / "d" / "train.jsonl", holdout_file=holdout, val_ratio=0.2,
                           seed=1, templates_per_fact=2)
    rows = [json.loads(x) for x in (tmp_path / "d" / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == res.train_rows > 0 and res.val_rows > 0 and res.val_out is not None
    assert set(rows[0]) == {"instruction", "input", "output"}
    assert name not in (tmp_path / "d" / "train.jsonl").read_text(encoding="utf-8")
    assert res.stats.held_out_entities >= 1


def test_bulk_and_per_entity_fact_reads_agree(kg_store: MemoryStore) -> None:
    from tests.models.finetune.memstore import NoBulkMemoryStore

    slow = NoBulkMemoryStore()
    slow.upsert_entities(list(kg_store.entities.values()))
    slow.upsert_relations(list(kg_store.relations.values()))
    for grounded in (False, True):
        assert build_instructions(slow, grounded=grounded, seed=2) == build_instructions(kg_store, grounded=grounded, seed=2)
