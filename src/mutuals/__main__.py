"""``python -m mutuals`` runs the command line."""

from mutuals.cli.main import main

if __name__ == "__main__":
    main()
