"""Games made by TextWorld's own generator (textworld==1.7.0), cached on disk, as agora environments."""
