"""Registers agora's own environment families (imported once by ``envs/__init__.py``, after the
registry). Entry points are strings, so nothing heavy is imported here. One register call a family."""

from envs.alfworld.registration import register_alfworld_envs
from envs.household.registration import register_household_envs
from envs.inventory.registration import register_inventory_envs

register_inventory_envs()
register_household_envs()
register_alfworld_envs()
