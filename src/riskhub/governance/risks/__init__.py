"""The risk register: risks, ratings, treatment, reviews, emerging threats."""
