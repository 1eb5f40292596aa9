"""The app's resources (icons, desktop integration, translations), installed as
``keybound.resources`` and read with :mod:`importlib.resources`, so they work from
a checkout, a wheel, the bundle and the Debian package alike."""
