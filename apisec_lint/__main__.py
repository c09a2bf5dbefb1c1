"""``python -m apisec_lint`` runs the CLI."""

from apisec_lint.cli import main

if __name__ == "__main__":
    main()
