# SPDX-License-Identifier: MIT
"""Host side of the e2e scenarios that drive the daemon's control socket
(run.sh's control_helper, models_helper and spd_hotplug_helper): one
connection, one JSON line each way per request, and the turns the host and
the guest take through the mailbox register map at 0x40."""
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

    def take_turns(self, steps, timeout):
        """Plays the host's side of each guest's mailbox (a regmap at 0x40 on
        that guest's bus, guest/lib.sh): polls register 0 for the step number
        the guest asks for, runs steps[guest][n - 1]() (True: done) and answers
        in register 1 with n, or 0xee if the step failed (the guest stops
        waiting). True once every step of every guest ran and succeeded."""
        done = {g: 0 for g in steps}
        ok = True
        end = time.time() + timeout
        while any(done[g] < len(steps[g]) for g in steps) and time.time() < end:
            for g in steps:
                if done[g] == len(steps[g]):
                    continue
                rep = self.request(quiet=True, cmd="get", guest=g, addr="0x40",
                                   props=["reg:0x00"])
                step = int(rep["props"]["reg:0x00"])
                if step == done[g] + 1:
                    good = steps[g][step - 1]()
                    ok = ok and good
                    self.request(cmd="set", guest=g, addr="0x40",
                                 props={"reg:0x01": step if good else 0xee})
                    done[g] = step
            time.sleep(0.1)
        for g in steps:
            if done[g] < len(steps[g]):
                print("host: guest %d asked for %d of %d steps" % (g, done[g], len(steps[g])),
                      flush=True)
        return ok and all(done[g] == len(steps[g]) for g in steps)
