"""Inspections: checklists (protocols), control results, findings, release times, feedback."""
