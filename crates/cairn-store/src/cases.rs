//! Case digests and the full-text search index. Owned by the cases issue.
