"""Registers the inventory ids. Entry points are strings, so nothing here imports the envs.

Every env takes ``config=`` (a name from :func:`envs.inventory.config.config_names`, including
any ``lost-sales-p<p>-L<L>``, or a ``SupplyChainConfig``) and top-level overrides such as
``periods=``; e.g. ``envs.make("agora/LostSales-v0", config="lost-sales-p39-L4")``.
"""

from envs.registry import register

FAMILY = "inventory"
NUMERIC = "envs.inventory.numeric_env:InventoryEnv"
TEXT = "envs.inventory.text_env:InventoryTextEnv"
MULTI = "envs.inventory.multi_agent:InventoryParallelEnv"
MULTI_NUMERIC = "envs.inventory.beer_numeric:BeerGameNumericEnv"


def register_inventory_envs() -> None:
    common = dict(family=FAMILY, engine="native")
    register("InventoryNumeric-v0", NUMERIC, interface="numeric", goal_based=False, config="network",
             description="supply-chain network (DAG), backlog, seasonal/trend/shock demand; Box actions", **common)
    register("InventoryText-v0", TEXT, interface="text", config="network",
             description="supply-chain network (DAG) for LLM agents: 'order Q1 ... Q6' each period", **common)
    register("InventoryBeerGame-v0", MULTI, kind="multi", interface="text", config="beer-game",
             description="beer game: 4 stage agents, each sees only its own stage", **common)
    register("InventoryBeerGameNumeric-v0", MULTI_NUMERIC, kind="multi", interface="numeric", config="beer-game", description="the beer game with Box spaces shared by every agent (SuperSuit, RLlib)", **common)
    register("InvManagement-v1", NUMERIC, interface="numeric", goal_based=False, config="inv-management-v1",
             description="OR-Gym InvManagement-v1: 4-stage serial chain, lost sales; Box actions", **common)
    register("InvManagementText-v1", TEXT, interface="text", config="inv-management-v1",
             description="OR-Gym InvManagement-v1 in words: 'order Q1 Q2 Q3' each period", **common)
    register("LostSales-v0", NUMERIC, interface="numeric", goal_based=False, config="lost-sales-p9-L2",
             description="single store, lost sales (Zipkin 2008 / HDPO; any lost-sales-p<p>-L<L>); Box actions",
             **common)
    register("LostSalesText-v0", TEXT, interface="text", config="lost-sales-p9-L2", periods=50,
             description="single store, lost sales, in words: 'order Q' each period, 50 periods", **common)
