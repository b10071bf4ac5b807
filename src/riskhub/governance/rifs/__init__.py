"""Risk Information Forms: raise, share, feedback."""
