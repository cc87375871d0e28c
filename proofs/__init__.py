"""Machine-checked derivations and per-setup verification (theory vs numerics)."""
