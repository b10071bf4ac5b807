"""Static code lists riskhub validates against: countries, Parties, crossing points, HS chapters."""
