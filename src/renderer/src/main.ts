// Renderer entry (filled in by the views work).
