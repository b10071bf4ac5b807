"""riskhub: the Customs Risk Information Hub of the CEFTA Customs Risk Management Strategy."""

__version__ = "0.1.0"
