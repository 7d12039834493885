"""Trials on a Dask cluster: the one package that imports ``distributed`` (optional: a plain message names it).

``cluster``: connecting to a scheduler (address rules, the operator's allow-list, bounded probes, the
environment every worker needs) and the preflight a study runs before it starts. ``backend``: the
``DaskBackend`` that ships the study's data once per worker and its trials as bytes, with a remote stop flag.
Importing this package imports neither ``distributed`` nor ``dask``; each use does, through
``cluster._import_distributed``.
"""
