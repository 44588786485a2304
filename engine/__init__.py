"""Declarative, GitOps-style sync of customer segments to ActiveCampaign lists."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ac-segment-sync")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"
