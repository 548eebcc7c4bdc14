"""Registers agora's own environment families. Entry points are strings, so nothing heavy is imported here."""

from envs.alfworld.registration import register_alfworld_envs
from envs.collab_math.registration import register_collab_math_envs
from envs.household.registration import register_household_envs
from envs.inventory.registration import register_inventory_envs
from envs.search_qa.registration import register_search_qa_envs

register_inventory_envs()
register_household_envs()
register_alfworld_envs()
register_collab_math_envs()
register_search_qa_envs()
from envs.hila.registration import register_hila_envs; register_hila_envs()  # noqa: E402,E702
from envs.maestro.registration import register_maestro_envs; register_maestro_envs()  # noqa: E402,E702
