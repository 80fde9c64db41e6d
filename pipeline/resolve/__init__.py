"""Resolve: the pure stage between extraction and storage.

Event coreference (``coref``: mentions in, events out) and story clustering (``stories``:
signatures in, stories out) are plain functions over the typed records of ``pipeline.models``.
Nothing here reads or writes the warehouse; the load stage (``pipeline.stages.load``) reads the
touched blocks and candidate stories through ``pipeline.repository``, calls these, and writes
what they return, in one transaction.
"""
from pipeline.resolve.coref import DATE_WINDOW, REPORT_WINDOW, block_key, build_event, cluster_mentions, resolve_events
from pipeline.resolve.stories import (LSH_BANDS, LSH_ROWS, THRESHOLD, assign_stories, merge_stories, signature,
                                      similar)

__all__ = ["DATE_WINDOW", "LSH_BANDS", "LSH_ROWS", "REPORT_WINDOW", "THRESHOLD", "assign_stories", "block_key",
           "build_event", "cluster_mentions", "merge_stories", "resolve_events", "signature", "similar"]
