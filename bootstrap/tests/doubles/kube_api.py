#!/usr/bin/env python3
"""Test double for the two Kubernetes API endpoints `bootstrap up --wait nodes` reads.

No Kubernetes API server can be installed on the test machine, so this stands in for it:
HTTPS with a server certificate signed by the cluster CA, client certificates required and
verified against that CA (as kube-apiserver does for bootstrap-admin), and
  GET /readyz        -> 200 "ok"
  GET /api/v1/nodes  -> a NodeList with the given nodes Ready
Usage: kube_api.py CERT KEY CA NODE[,NODE...]   (prints the port on stdout, serves until stdin closes)
"""
import http.server
import json
import ssl
import sys
import threading

cert, key, ca, nodes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        peer = self.connection.getpeercert()
        subject = dict(x[0] for x in peer.get("subject", ())) if peer else {}
        if subject.get("organizationName") != "system:masters":
            self.send_response(403)
            self.end_headers()
            return
        if self.path == "/readyz":
            body = b"ok"
        elif self.path == "/api/v1/nodes":
            body = json.dumps({"kind": "NodeList", "items": [
                {"metadata": {"name": n},
                 "status": {"conditions": [{"type": "Ready", "status": "True"}]}} for n in nodes
            ]}).encode()
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.load_verify_locations(ca)
ctx.verify_mode = ssl.CERT_REQUIRED
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
server.shutdown()
