"""ScienceWorld's 30 science tasks on the real engine (scienceworld==1.2.3, a JVM), with lean steps."""
