"""Registers agora's own environment families. Entry points are strings, so nothing heavy is imported here."""

from envs.alfworld.registration import register_alfworld_envs
from envs.household.registration import register_household_envs
from envs.inventory.registration import register_inventory_envs
from envs.scienceworld.registration import register_scienceworld_envs
from envs.textworld.registration import register_textworld_envs

register_inventory_envs()
register_household_envs()
register_alfworld_envs()
register_scienceworld_envs()
register_textworld_envs()
