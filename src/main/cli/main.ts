// Command-line entry (filled in by the CLI work).
