"""The shop's storefront, in Python with nothing but the standard library.

It knows nothing of meshproof: it listens on $PORT and reaches the payments service at
$PAYMENTS_URL, as it would read any configured URL. meshproof points that URL at a listener of
the storefront's sidecar, which applies the mesh's policies (retries, outlier detection, …) on
the way to a payments instance.
"""
import json
import os
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAYMENTS_URL = os.environ["PAYMENTS_URL"]
PORT = int(os.environ["PORT"])


class Storefront(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/healthz":
            return self.reply(200, {"ok": True})
        # Passing traceparent on keeps the storefront's call to payments in the caller's trace.
        headers = {}
        if self.headers.get("traceparent"):
            headers["traceparent"] = self.headers["traceparent"]
        request = urllib.request.Request(PAYMENTS_URL + "/charge", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                payment = json.load(answer)
            self.reply(200, {"order": "placed", "payment": payment})
        except urllib.error.HTTPError as e:
            self.reply(502, {"order": "failed", "payments answered": e.code})
        except OSError as e:
            self.reply(502, {"order": "failed", "payments unreachable": str(e)})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass  # one line per request would drown the log


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up mid-answer is not news


print(f"storefront listening on 127.0.0.1:{PORT}, payments at {PAYMENTS_URL}", flush=True)
Server(("127.0.0.1", PORT), Storefront).serve_forever()
