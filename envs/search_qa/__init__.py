"""Multi-hop search QA: generated worlds and questions (``world``), BM25 search (``search``), and the
three-role game (``env``)."""
