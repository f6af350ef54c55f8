"""Only what setup.cfg cannot say: the top-level templates/ folder ships inside the package.

Everything else (metadata, dependencies, package data, the ``survey`` command) is in setup.cfg.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["survey", "survey.*", "sampling", "sampling.*", "analysis", "analysis.*"]),
              "survey._templates"],
    package_dir={"survey._templates": "templates"},
)
