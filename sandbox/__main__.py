"""`python -m sandbox …` = `penguin sandbox …` (handy where the console script is not installed)."""
import argparse
import sys

from sandbox.cli import add_parser, run

parser = argparse.ArgumentParser(prog="python -m sandbox")
add_parser(parser.add_subparsers(dest="command", required=True))
sys.exit(run(parser.parse_args(["sandbox", *sys.argv[1:]])))
