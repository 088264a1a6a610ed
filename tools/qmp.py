"""A QEMU with its QMP monitor on stdin/stdout: the oracle the generators and the tests ask.

Started as `-machine none -accel kvm`, the machine QEMU's KVM CPU rules are modelled for
(in-kernel irqchip, not split), stopped (-S), with no devices and no display.
"""
import json
import subprocess

QEMU_ARGS = ("-machine", "none", "-accel", "kvm", "-nodefaults", "-S", "-display", "none", "-qmp", "stdio")


class QmpError(RuntimeError):
    """QEMU exited, or answered a command with an error."""


class Qmp(object):
    """QEMU started with `args` (default QEMU_ARGS, which must end with -qmp stdio); QmpError if it does not come up."""

    def __init__(self, binary, args=QEMU_ARGS):
        self.process = subprocess.Popen([binary] + list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, universal_newlines=True)
        try:
            self.greeting = self._read()["QMP"]
            self.command("qmp_capabilities")
        except QmpError:  # QEMU refused to start (e.g. -cpu MODEL,enforce): nothing of it stays open
            self.process.wait()
            self._close_streams()
            raise

    def _read(self):
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise QmpError("QEMU exited (%s): %s" % (self.process.wait(), self.process.stderr.read()))
            message = json.loads(line)
            if "event" not in message:
                return message

    def command(self, name, **arguments):
        request = {"execute": name}
        if arguments:
            request["arguments"] = arguments
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        if "error" in answer:
            raise QmpError("%s: %s" % (name, answer["error"]))
        return answer["return"]

    def close(self):
        try:
            self.command("quit")
        finally:
            self.process.wait()
            self._close_streams()

    def _close_streams(self):
        for stream in (self.process.stdout, self.process.stderr, self.process.stdin):
            stream.close()
