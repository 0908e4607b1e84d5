"""What comes in and goes out: transcripts, rosters, bundles, backups, the demo, the exports and the pool."""
