"""Customs declarations: the data model, validation, ingestion readers, storage and API."""
