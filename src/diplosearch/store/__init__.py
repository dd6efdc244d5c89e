"""Where an index lives on disk: Whoosh segments plus diplosearch's own files.

The rooms of this package, each importable on its own (nothing is re-exported
here, so that importing one room never drags in the others):

- ``index``: the :class:`Index` class (open, read, write);
- ``reports``: what its calls hand back (write and delete reports, progress, stats);
- ``manifest``: ``diplosearch.json``, the marker and version record of an index;
- ``locking``: the write lock, its holder note, and one writer under the lock;
- ``integrity``: checksums recorded at commit, ``check``, and damage reported as ``CorruptIndexError``;
- ``ownership``: refusing index directories and homes that other users can write or own;
- ``durable``: fsync'ed storage, commit and abort;
- ``parallel``: helper processes that write segments for one commit;
- ``swap``: replacing a whole index directory (a rebuild) and finishing a half-done swap;
- ``columns``: the per-segment column files the vectorised search reads;
- ``columns_upgrade``: building column files from an existing Whoosh segment (1.0 indexes);
- ``home``: the index home, environment variables, the bundled corpus and the default index.
"""
