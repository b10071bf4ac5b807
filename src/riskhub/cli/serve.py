"""``riskhub serve``: the API server."""

from __future__ import annotations

import typer


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Serve the HTTP API (OpenAPI documentation at /docs)."""
    import uvicorn

    uvicorn.run("riskhub.app:create_app", factory=True, host=host, port=port, workers=workers)
