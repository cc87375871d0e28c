"""Statements of the three theories: setups, hypotheses, predictions and closed forms.

``theory`` imports nothing else of this project. Every statement carries a provenance
label (``paper``, ``code``, ``reconstructed`` or ``derived``; see :mod:`mtl_theory.theory.model`).
"""
