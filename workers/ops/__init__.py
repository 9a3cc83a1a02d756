"""Operations: health checks, metrics, disk preflight, backups, log context. One module per job."""
