// Preload bridge (filled in by the hosts work).
