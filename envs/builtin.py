"""Registers agora's own environment families (imported once by ``envs/__init__.py``, after the
registry). Entry points are strings, so nothing heavy is imported here. One register call a family."""

from envs.alfworld.registration import register_alfworld_envs
from envs.collab_math.registration import register_collab_math_envs
from envs.hila.registration import register_hila_envs
from envs.household.registration import register_household_envs
from envs.inventory.registration import register_inventory_envs
from envs.maestro.registration import register_maestro_envs
from envs.scienceworld.registration import register_scienceworld_envs
from envs.search_qa.registration import register_search_qa_envs
from envs.shop.registration import register_shop_envs
from envs.textworld.registration import register_textworld_envs

register_inventory_envs()
register_household_envs()
register_alfworld_envs()
register_collab_math_envs()
register_search_qa_envs()
register_shop_envs()
register_hila_envs()
register_maestro_envs()
register_scienceworld_envs()
register_textworld_envs()
