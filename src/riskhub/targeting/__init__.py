"""AI-based risk targeting (M5): features without leakage, LightGBM models, explanations."""
