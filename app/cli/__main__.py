"""`python -m app.cli …` is `qizhen …`."""

from app.cli.main import main

main()
