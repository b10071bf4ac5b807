"""Common risk profiles: proposed, voted, adopted, published, activated, reviewed."""
