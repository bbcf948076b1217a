// Desktop host entry (filled in by the hosts work).
