"""A WebShop-style shopping environment: generated catalogue, BM25 search, WebShop's pages and reward.

    env = envs.make("agora/Shop-v0")                 # 1k products
    env = envs.make("agora/Shop-v0", num_products=100_000)

See ``envs.shop.env`` for the pages and actions, ``envs.shop.reward`` for the reward.
"""
