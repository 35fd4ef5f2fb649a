"""`python -m benchmarks`: see `benchmarks/suite.py` and `benchmarks/README.md`."""

from benchmarks.suite import main

if __name__ == "__main__":
    main()
