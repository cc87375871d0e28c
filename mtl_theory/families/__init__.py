"""One module per theory family (``wta``, ``evidence``, ``gdln``), each exposing ``FAMILY``.

See :class:`mtl_theory.registry.Family` for what a family provides.
"""
