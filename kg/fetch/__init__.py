"""`qizhen data fetch|list`: the open sources, downloaded from their pinned origins and verified."""
