"""The reliever / controller table an attack question reads (retrieval.evidence.relievers)."""

from __future__ import annotations

from retrieval.evidence.relievers import Role, role


def test_substances_and_classes_have_their_role() -> None:
    assert role("沙丁胺醇") == role("吸入沙丁胺醇") == role("特布他林") == role("异丙托溴铵") == Role.RELIEVER
    assert role("沙美特罗") == role("福莫特罗") == role("孟鲁司特") == Role.CONTROLLER
    assert role("佐米曲坦", "N02CC") == Role.RELIEVER  # a triptan by its class code
    assert role("扎鲁司特", "R03DC") == role("某司特", "R03DC") == Role.CONTROLLER
    assert role("秋水仙碱") == Role.RELIEVER and role("别嘌醇") == Role.CONTROLLER
    assert role("硝酸甘油") == Role.RELIEVER and role("单硝酸异山梨酯") == Role.CONTROLLER
    assert role("氨茶碱", "R03DA") == Role.NEUTRAL  # neither: ranked as the sources tie it
