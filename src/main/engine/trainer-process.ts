// Trainer child-process entry (filled in by the engine work).
