"""Assessments (S3, S4): questionnaires as data, scored per dimension, compared and reported."""
