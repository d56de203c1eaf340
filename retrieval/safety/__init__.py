"""retrieval.safety: see the README's architecture section."""
