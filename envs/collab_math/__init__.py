"""Collaborative math: generated word problems (``problems``), solved by a solver and a verifier
taking turns (``env``; turn-taking itself in ``turns``)."""
