"""Traffic: closed- and open-loop load on a built index, in-process or over HTTP (issue 12)."""
