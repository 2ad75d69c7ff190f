"""odlab-compliance: who must open its data, who does, and how each territory progresses."""

__version__ = "0.1.0"
