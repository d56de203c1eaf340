"""Build a tiny random LLaMA with a character-level Chinese tokenizer, for tests and benches.

2 layers, hidden 64, seeded random weights; the tokenizer's vocabulary is every character of a few
hundred KG-like strings (drug/disease facts in CMeKG's style), the prompt templates and printable
ASCII, plus <pad> <s> </s> <unk>. Nothing is downloaded.
"""

from __future__ import annotations

import string
from pathlib import Path

SPECIAL = ["<pad>", "<s>", "</s>", "<unk>"]

#: ChatML-like template so the tiny tokenizer can serve the "chat" prompt style too.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

_DRUGS = [
    ("非布司他片", "痛风|高尿酸血症", "肝功能异常|腹泻|皮疹", "正在接受硫唑嘌呤治疗的患者"),
    ("阿莫西林胶囊", "呼吸道感染|中耳炎|尿路感染", "恶心|呕吐|过敏性休克", "青霉素过敏者"),
    ("布洛芬缓释胶囊", "头痛|牙痛|关节痛|发热", "胃肠道不适|消化道出血", "活动性消化性溃疡"),
    ("二甲双胍片", "2型糖尿病", "腹泻|乳酸性酸中毒|食欲减退", "严重肾功能不全"),
    ("氨氯地平片", "高血压|冠心病|心绞痛", "水肿|头晕|面部潮红", "对二氢吡啶类过敏者"),
    ("奥美拉唑肠溶胶囊", "胃溃疡|十二指肠溃疡|反流性食管炎", "头痛|便秘|腹胀", "婴幼儿"),
    ("头孢克肟分散片", "支气管炎|肺炎|扁桃体炎", "皮疹|腹泻|转氨酶升高", "头孢菌素过敏者"),
    ("阿司匹林肠溶片", "心肌梗死|脑卒中|血栓", "胃肠道出血|哮喘", "出血倾向|孕妇"),
    ("辛伐他汀片", "高胆固醇血症|动脉粥样硬化", "肌痛|横纹肌溶解", "活动性肝病"),
    ("板蓝根颗粒", "感冒|咽喉肿痛|腮腺炎", "过敏反应", "脾胃虚寒者慎用"),
    ("连花清瘟胶囊", "流行性感冒|发热|咳嗽", "胃部不适|恶心", "风寒感冒者"),
    ("左氧氟沙星片", "泌尿系统感染|前列腺炎|肺炎", "失眠|光敏反应|肌腱炎", "18岁以下患者"),
    ("甲硝唑片", "滴虫病|阿米巴病|厌氧菌感染", "口腔金属味|恶心", "哺乳期妇女"),
    ("氯雷他定片", "过敏性鼻炎|荨麻疹|湿疹", "嗜睡|口干", "对本品过敏者"),
    ("硝苯地平控释片", "高血压|心绞痛", "心悸|踝部水肿", "心源性休克"),
    ("胰岛素注射液", "1型糖尿病|糖尿病酮症酸中毒", "低血糖|注射部位脂肪萎缩", "低血糖发作时"),
]
_DISEASES = [
    ("痛风", "关节红肿热痛|痛风石|发热", "血尿酸测定|关节液检查|X线检查", "风湿免疫科"),
    ("高血压", "头晕|头痛|心悸|耳鸣", "血压测量|心电图|肾功能检查", "心血管内科"),
    ("糖尿病", "多饮|多尿|多食|体重下降", "空腹血糖|糖化血红蛋白|口服葡萄糖耐量试验", "内分泌科"),
    ("肺炎", "咳嗽|咳痰|发热|胸痛|呼吸困难", "胸部CT|血常规|痰培养", "呼吸内科"),
    ("胃溃疡", "上腹痛|反酸|嗳气|黑便", "胃镜检查|幽门螺杆菌检测", "消化内科"),
    ("冠心病", "胸闷|心绞痛|气短", "冠状动脉造影|心电图|心肌酶谱", "心血管内科"),
    ("过敏性鼻炎", "鼻痒|打喷嚏|流清涕|鼻塞", "过敏原检测|鼻镜检查", "耳鼻喉科"),
    ("甲状腺功能亢进症", "怕热|多汗|心动过速|消瘦|突眼", "甲状腺功能检查|甲状腺超声", "内分泌科"),
    ("缺铁性贫血", "乏力|面色苍白|头晕|心悸", "血常规|血清铁蛋白", "血液科"),
    ("支气管哮喘", "喘息|气急|胸闷|咳嗽", "肺功能检查|支气管激发试验", "呼吸内科"),
    ("急性胃肠炎", "腹痛|腹泻|恶心|呕吐", "便常规|血常规", "消化内科"),
    ("带状疱疹", "皮肤刺痛|簇集性水疱|神经痛", "疱液检查|血常规", "皮肤科"),
]
_EXTRA = [
    "英文名 分类 用法用量 注意事项 相互作用 功能主治 通用名 商品名 成份 性状 规格 贮藏",
    "常见症状 就诊科室 常见病因 并发症 预防 治疗方法 传染性 易感人群 治愈率 治疗周期",
    "口服，一次1片，一日2次，饭后服用。儿童用量请咨询医师或药师。",
    "本品为处方药，请在医生指导下使用。如有不适，请及时就医。",
    "多喝水，注意休息，清淡饮食，避免辛辣刺激食物，戒烟限酒。",
    "问：答：第一二三四五六七八九十零百千万年月日岁男女患者医生医院",
    "你好，我最近有点不舒服，请问应该怎么办？谢谢！是的，不是，可以，不可以。",
    "（）【】《》“”‘’、，。；：？！…—·％＋－×÷＝",
]


def corpus() -> list[str]:
    """A few hundred KG-like strings: one per fact, as CMeKG-style "subject predicate object"."""
    lines: list[str] = []
    for drug, ind, adr, contra in _DRUGS:
        for pred, objs in (("适应症", ind), ("不良反应", adr), ("禁忌", contra)):
            for obj in objs.split("|"):
                lines.append(f"{drug} {pred} {obj}")
                lines.append(f"{drug}的{pred}是什么？{drug}的{pred}包括{obj}。")
    for dis, sym, chk, dept in _DISEASES:
        for pred, objs in (("常见症状", sym), ("检查", chk), ("就诊科室", dept)):
            for obj in objs.split("|"):
                lines.append(f"{dis} {pred} {obj}")
                lines.append(f"{dis}需要做哪些{pred}？{dis}的{pred}有{obj}。")
    return lines + _EXTRA


def _prompt_texts() -> list[str]:
    from kg.vocabulary import FIELD_LABELS
    from models.prompts import GROUNDED_RULES, NO_ANSWER_TEXT

    return [GROUNDED_RULES, NO_ANSWER_TEXT, "事实：（无）问题：", *FIELD_LABELS.values()]


def build_tokenizer(path: Path | None = None):  # noqa: ANN201 - PreTrainedTokenizerFast
    """A character-level tokenizer (WordLevel over single characters), optionally saved to ``path``."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    chars = sorted(set("".join(corpus() + _prompt_texts())) | set(string.printable))
    vocab = {tok: i for i, tok in enumerate(SPECIAL)}
    for ch in chars:
        vocab.setdefault(ch, len(vocab))
    tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tk.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", vocab["<s>"])]
    )
    tk.decoder = decoders.Fuse()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=tk, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>"
    )
    tok.chat_template = CHAT_TEMPLATE
    if path is not None:
        tok.save_pretrained(path)
    return tok


def build_tiny_llama(path: Path, seed: int = 0) -> Path:
    """Save a 2-layer, hidden-64 LlamaForCausalLM with seeded random weights and its tokenizer."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = build_tokenizer(path)
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(path)
    return path


def build_lora_adapter(base: Path, path: Path, seed: int = 1, style: str = "alpaca") -> Path:
    """A LoRA adapter on q/v projections with random (non-zero) B so it changes the logits."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from models.prompts import save_prompt_style

    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True)
    torch.manual_seed(seed)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(model, config)
    peft_model.save_pretrained(path)
    save_prompt_style(path, style)
    return path
