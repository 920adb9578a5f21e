"""tracetui: a terminal trace explorer for LLM evals and agent pipelines."""

__version__ = "0.1.0"
