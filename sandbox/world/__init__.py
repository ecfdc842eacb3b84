"""The synthetic world: `build_world(seed, scale)` and its model."""
from sandbox.world.generate import build_world
from sandbox.world.model import SCALES, World

__all__ = ["build_world", "SCALES", "World"]
