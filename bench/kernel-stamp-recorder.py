"""The arrival recorder of bench/arrival-recorder.ts (startKernelStampRecorder), in a process of its own.

It stamps each request with the kernel's receive time of the segment that carried it (SO_TIMESTAMPNS),
not with the time a thread got to read it, so the receiving end's own scheduling and pauses are out of
the figures. Prints its port, then, on SIGTERM, one JSON line: the stamps in ms on CLOCK_MONOTONIC
(the clock of process.hrtime), one per request, in order of arrival.
"""
import json, selectors, signal, socket, struct, sys, time

SO_TIMESTAMPNS = getattr(socket, 'SO_TIMESTAMPNS', 35)
RESPONSE = b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=65\r\n\r\nok'

server = socket.socket()
server.bind(('127.0.0.1', 0))
server.listen(1024)
server.setblocking(False)
selector = selectors.DefaultSelector()
selector.register(server, selectors.EVENT_READ)
# The kernel stamps on CLOCK_REALTIME; the load's clock is CLOCK_MONOTONIC. Gaps do not depend on the offset.
offset = time.clock_gettime(time.CLOCK_REALTIME) - time.clock_gettime(time.CLOCK_MONOTONIC)
stamps = []
stopping = False

def stop(*_):
    global stopping
    stopping = True

signal.signal(signal.SIGTERM, stop)
print(server.getsockname()[1], flush=True)
while not stopping:
    for key, _ in selector.select(0.1):
        s = key.fileobj
        if s is server:
            conn, _ = server.accept()
            conn.setblocking(False)
            conn.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            selector.register(conn, selectors.EVENT_READ)
            continue
        try:
            data, ancillary, _, _ = s.recvmsg(65536, 256)
        except (BlockingIOError, InterruptedError):
            continue
        except ConnectionError:
            data, ancillary = b'', []
        if not data:
            selector.unregister(s)
            s.close()
            continue
        at = time.clock_gettime(time.CLOCK_MONOTONIC)
        for level, kind, raw in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, ns = struct.unpack('qq', raw[:16])
                at = sec + ns / 1e9 - offset
        # One request per blank line: the load sends GETs without bodies and does not pipeline.
        n = data.count(b'\r\n\r\n')
        stamps.extend([at * 1000] * n)
        if n:
            s.sendall(RESPONSE * n)
sys.stdout.write(json.dumps(stamps) + '\n')
sys.stdout.flush()
