"""A tiny random LLaMA (2 layers, hidden 64) whose character-level tokenizer covers given texts.

Why not tests/tiny_llama.py's builder as is: its vocabulary is fixed to its own corpus (the KG
instructions generated here would be mostly <unk>), and with the default init (std 0.02) the frozen
random lm_head keeps every logit within about ±1, so no LoRA can lower the loss markedly. This one
takes the training texts and initialises with std 0.2; it reuses that module's specials and chat template.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from models.prompts import GROUNDED_RULES, AlpacaTemplate, ChatGLMTemplate
from tests.tiny_llama import CHAT_TEMPLATE, SPECIAL


def char_vocab(texts: Iterable[str]) -> list[str]:
    """Specials, printable ASCII and newline, then every other character seen in `texts` (sorted)."""
    chars = {chr(c) for c in range(32, 127)} | {"\n"}
    for t in texts:
        chars.update(t)
    return SPECIAL + sorted(chars - set(SPECIAL))


def build_tiny_llama(path: Path, texts: Iterable[str], seed: int = 0) -> Path:
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    base_text = [AlpacaTemplate.PROMPT_INPUT, AlpacaTemplate.PROMPT_NO_INPUT, ChatGLMTemplate.ROUND, GROUNDED_RULES]
    vocab = char_vocab([*base_text, *texts])
    tok = Tokenizer(models.WordLevel({c: i for i, c in enumerate(vocab)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>",
                                   bos_token="<s>", eos_token="</s>")
    fast.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(vocab), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=2048, initializer_range=0.2,
                      pad_token_id=fast.pad_token_id, bos_token_id=fast.bos_token_id,
                      eos_token_id=fast.eos_token_id, tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    fast.save_pretrained(path)
    return path
