"""HTTP: api-step routes (a lean ASGI path) in front of a FastAPI app for everything else."""
