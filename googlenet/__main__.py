"""``python -m googlenet``: the command line lives in `googlenet.extras.cli`."""

from .extras.cli import main

if __name__ == "__main__":
    main()
