"""The cleaning stage's curated noise terms (data only; the rules are in kg.cleaning).

A term here matches a relationship target only when it is the *whole* normalized name:
乳酸脱氢酶 alone is an analyte, 乳酸脱氢酶升高 is a finding and stays. The lists name
kinds of words the sources' automatic extraction picked up from drug labels and crawled pages
(trial descriptions, lab tables, connective words) — they are not tuned to any evaluation item.
Each set is applied only to the relationship types where that kind of word cannot be an answer
(`kg.cleaning.RULES`): a bare analyte is noise as an indication but a fair name for a check.
"""

from __future__ import annotations

from kg.normalize import normalize_name


def _terms(text: str) -> frozenset[str]:
    return frozenset(normalize_name(t) for t in text.split())


#: Clinical-trial design words: label sections describing studies ("一项随机、双盲、多中心研究")
#: split into list items by the extractor.
TRIAL_DESIGN = _terms("""
双盲 单盲 盲法 随机 随机化 随机分组 多中心 单中心 开放 开放性 开放标签 对照 对照组 安慰剂 安慰剂对照
阳性对照 平行 平行对照 交叉 交叉设计 非劣效 临床试验 临床研究 试验 研究 受试者 志愿者 健康志愿者 样本
入组 剂量组 治疗组 疗程
""")

#: Bare laboratory analytes and markers: what a test measures, not a condition. A finding names
#: the change (转氨酶升高, 低钾血症) and is kept; the analyte alone (ALT, 尿酸) is not an
#: indication, an adverse reaction or a symptom.
LAB_ANALYTES = _terms("""
ALT AST GPT GOT ALP GGT LDH CPK CK BUN SCr TBIL INR
转氨酶 谷丙转氨酶 谷草转氨酶 丙氨酸氨基转移酶 天门冬氨酸氨基转移酶 天冬氨酸氨基转移酶 碱性磷酸酶
乳酸脱氢酶 肌酸激酶 磷酸肌酸激酶 肌酸磷酸激酶 淀粉酶 脂肪酶 胆碱酯酶
尿酸 肌酐 血肌酐 肌酸 尿素 尿素氮 血尿素氮 胆红素 总胆红素 直接胆红素 间接胆红素
白蛋白 球蛋白 总蛋白 血红蛋白 肌红蛋白 胆固醇 甘油三酯 血糖 血脂 电解质 凝血酶原时间
白细胞 红细胞 血小板 中性粒细胞 淋巴细胞 嗜酸性粒细胞 网织红细胞
""")

#: Bare amino acids: crawled check lists and label tables name them alone (痛风 → 丙氨酸、谷氨酸);
#: a single amino acid is neither a condition nor, by itself, the check a clinician orders.
AMINO_ACIDS = _terms("""
丙氨酸 丝氨酸 谷氨酸 甘氨酸 亮氨酸 异亮氨酸 缬氨酸 苏氨酸 赖氨酸 精氨酸 组氨酸 蛋氨酸 甲硫氨酸
苯丙氨酸 色氨酸 酪氨酸 脯氨酸 天冬氨酸 门冬氨酸 半胱氨酸 胱氨酸 谷氨酰胺 天冬酰胺 鸟氨酸 瓜氨酸
""")

#: Generic words that name no condition, test or drug: connectives, qualifiers, label vocabulary.
GENERIC_WORDS = _terms("""
敏感 过敏者 不适 剂量 用量 过量 年龄 体重 预防 治疗 辅助治疗 对症治疗 用于 引起 所致 导致 诊断 疾病 症状 体征
患者 病人 病症 病情 作用 效果 疗效 反应 不良反应 副作用 药物 药品 本品 用药 给药 服药 手术 检查
细菌 病毒 真菌 微生物 病原体 病原菌 致病菌 菌株
急性 慢性 局部 全身 严重 轻度 中度 重度 短暂 一过性 偶见 罕见 少见 常见 可能 异常 其他 各种 以及
升高 降低 增高 减少 增加 下降 改善 缓解 加重 恢复 维持 控制 促进
""")

#: Organs and body parts alone: where a condition is, not the condition (达肝素 → 关节, from
#: "关节置换术后"); an indication, adverse reaction or symptom names what happens there.
BODY_PARTS = _terms("""
关节 皮肤 头部 胸部 腹部 背部 腰部 颈部 四肢 上肢 下肢 肢体 手足 手指 足部 口腔 咽喉 牙齿 牙龈 心脏 肝脏 肾脏
肺部 胃 胃部 肠道 胆 胆囊 胰腺 膀胱 尿道 子宫 卵巢 阴道 血管 静脉 动脉 神经 肌肉 骨骼 脊柱 大脑 淋巴结 黏膜
粘膜 毛发 头发 指甲 呼吸道 消化道 泌尿道 生殖器
""")

#: Too vague to be an indication on its own (a drug "for 感染" says which infections elsewhere);
#: as an adverse reaction or a contraindication the same word is a real finding, so it stays there.
VAGUE_INDICATIONS = _terms("""
感染 炎症 发炎 各种感染 细菌感染 细菌性感染
""")

#: Population words: who a drug is for or must avoid (a contraindication), never what it treats
#: or causes.
POPULATIONS = _terms("""
儿童 小儿 婴儿 婴幼儿 新生儿 成人 成年人 老年人 老人 孕妇 产妇 哺乳期妇女 乳母 妇女 女性 男性 青少年
""")

#: Traditional-medicine efficacy phrases (功效) are written as action + object pairs: 清热, 化痰,
#: 活血止痛, 益气养血. CMeKG extracts them from 功能主治 text into the indication list, where they name
#: what a medicine does, not a condition it treats. A target made only of such pairs is one
#: (the rule in kg.cleaning keeps anything a source describes as a disease or symptom: 壮热, 温热).
TCM_ACTION_VERBS = "清化止解补养益活祛散通利安宁理健和润温凉疏舒平降消生滋固收敛镇开醒行泻涩排透宣纳壮强调驱杀"
TCM_ACTION_OBJECTS = "热痰咳毒血气风湿寒火肺脾肾肝胃心神阴阳津精表窍络瘀痛喘积食中经脉肌便尿暑燥虫淋疹"

#: Fragments that refer back to the label's own text (此类患者, 本品过敏者): never an item.
FRAGMENT_PREFIXES = ("此类", "该类", "本品", "上述", "以上")

#: Words that make a name a test whatever else the graph guesses (CMeKG classifies some check
#: pages as diseases because they list 相关疾病).
CHECK_WORDS = ("检查", "试验", "测定", "检测", "扫描", "造影", "摄片", "成像", "显像", "镜", "CT", "MRI", "超声",
               "B超", "彩超", "心电图", "脑电图", "肌电图", "培养", "分析", "计数", "活检", "穿刺", "化验", "筛查",
               "监测", "常规", "功能", "抗体", "抗原", "测量", "X线", "平片", "透视")
