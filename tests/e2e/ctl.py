# SPDX-License-Identifier: MIT
"""Host side of the e2e scenarios that drive the daemon's control socket
(run.sh's control_helper and models_helper): one connection, one JSON line
each way per request."""
import json
import socket
import time


class Control:
    def __init__(self, path, tries=100):
        """Connects to path, retrying every 0.1 s while the daemon starts."""
        self.sock = socket.socket(socket.AF_UNIX)
        for _ in range(tries):
            try:
                self.sock.connect(path)
                break
            except OSError:
                time.sleep(0.1)
        self.f = self.sock.makefile("rw")

    def request(self, quiet=False, **r):
        """Sends request r, returns the reply; logs both unless quiet (polling)."""
        self.f.write(json.dumps(r) + "\n")
        self.f.flush()
        rep = json.loads(self.f.readline())
        if not quiet:
            print("host: %s -> %s" % (json.dumps(r), json.dumps(rep)), flush=True)
        return rep
