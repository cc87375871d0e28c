"""Independent numerical routes: data, exact training, simulation, metrics and sweeps.

A module here never evaluates the closed form of the quantity it measures; it may import
:mod:`theory` for setup types and hypothesis checks only.
"""
