#!/usr/bin/env python
"""Django's command-line utility; `cityhall` is the installed equivalent."""

from cityhall.cli import main

if __name__ == "__main__":
    main()
