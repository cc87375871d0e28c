"""mtl-theory: the front door (command line, spec validation, reports, phase diagrams)."""

__version__ = "0.1.0"
