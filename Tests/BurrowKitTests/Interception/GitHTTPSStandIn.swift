@testable import BurrowSystem
import XCTest

/// A stand-in HTTPS service on the host's loopback for the real agent image's tools: a CA of its own
/// (made with the openssl command, trusted by Burrow through `network.extraCAs`), `git http-backend`
/// for `/owner/repo.git` with pushing enabled (so only Burrow's rules stop a push), a PyPI-style
/// `/simple/probe/` page, and an echo for anything else that names the method, path and headers.
final class GitHTTPSStandIn: Sendable {
    let folder: String
    let port: UInt16
    let server: Task<Void, Never>
    var caFile: String { folder + "/ca.pem" }
    var repo: String { folder + "/git/owner/repo.git" }
    var log: String { (try? FileSystem.readFile(folder + "/requests.log")).map { String(decoding: $0, as: UTF8.self) } ?? "" }

    /// `secret`: `/private/…` serves the same repository to HTTP basic `x-access-token:SECRET` only
    /// (401 otherwise, as GitHub answers a private repo).
    init(folder: String, secret: String = "") async throws {
        self.folder = folder
        let probe = try AsyncSocket.listening(on: .ipv4("127.0.0.1", port: 0))
        port = probe.localAddress!.port!
        probe.close()
        try FileSystem.writeAtomically(Array(Self.script.utf8), to: folder + "/server.py")
        try await Subprocess.check(["bash", "-c", """
            set -e; cd '\(folder)'
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 \
              -subj '/CN=Stand-in service CA' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj /CN=service.test 2>/dev/null
            printf 'subjectAltName=DNS:service.test,DNS:other.test\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > leaf.ext
            openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 -extfile leaf.ext 2>/dev/null
            chmod 644 ca.pem
            mkdir -p git/owner work && git init -q -b main work && echo 'served over https' > work/README && git -C work add README
            git -C work -c user.name=t -c user.email=t@t commit -qm init && git clone -q --bare work git/owner/repo.git
            git -C git/owner/repo.git config http.receivepack true
            """])
        let arguments = ["python3", folder + "/server.py", String(port), folder]
        server = Task { _ = try? await Subprocess.run(arguments, environment: ["STANDIN_SECRET": secret], timeout: .seconds(600)) }
        let deadline = Monotonic.after(.seconds(10))
        while Monotonic.now() < deadline {
            if let socket = try? await AsyncSocket.connect(to: .ipv4("127.0.0.1", port: port)) { socket.close(); return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw XCTSkip("the stand-in HTTPS service did not start")
    }

    func stop() { server.cancel() }

    static let script = #"""
import base64, http.server, os, ssl, subprocess, sys
port, root = int(sys.argv[1]), sys.argv[2]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline(); return data
                data += self.rfile.read(size); self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))
    def answer(self, status, body, kind="text/plain"):
        self.send_response(status); self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def handle_any(self):
        data = self.body()
        with open(os.path.join(root, "requests.log"), "a") as log:
            log.write("%s %s %s\n" % (self.command, self.path, " ".join("%s=%s" % kv for kv in self.headers.items())))
            log.write("BODY %r\n" % data[:2000])
        path, _, query = self.path.partition("?")
        if path.startswith("/private/"):
            secret = os.environ.get("STANDIN_SECRET", "")
            wanted = "Basic " + base64.b64encode(("x-access-token:" + secret).encode()).decode()
            if not secret or self.headers.get("Authorization") != wanted:
                self.send_response(401); self.send_header("WWW-Authenticate", 'Basic realm="private"')
                self.send_header("Content-Length", "0"); self.end_headers(); return
            path = path[len("/private"):]
        if path.startswith("/owner/"):
            env = dict(os.environ, GIT_PROJECT_ROOT=root + "/git", GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path, QUERY_STRING=query,
                       REQUEST_METHOD=self.command, CONTENT_TYPE=self.headers.get("Content-Type", ""), CONTENT_LENGTH=str(len(data)),
                       REMOTE_USER="t", REMOTE_ADDR="127.0.0.1", GIT_CONFIG_NOSYSTEM="1")
            out = subprocess.run(["git", "http-backend"], input=data, env=env, capture_output=True).stdout
            head, _, payload = out.partition(b"\r\n\r\n")
            status, headers = 200, []
            for line in head.split(b"\r\n"):
                name, _, value = line.decode().partition(":")
                if name.lower() == "status": status = int(value.split()[0])
                elif name: headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers: self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload))); self.end_headers(); self.wfile.write(payload)
        elif path == "/simple/probe/":
            self.answer(200, b'<html><body><a href="/files/probe-1.0.tar.gz">probe-1.0.tar.gz</a></body></html>', "text/html")
        else:
            # Says whether credentials came, never what they were: a service echoing them would hand them to the box.
            self.answer(200, ("%s %s auth=%s" % (self.command, self.path, "yes" if self.headers.get("Authorization") else "no")).encode())
    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = handle_any

context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(root + "/leaf.pem", root + "/leaf.key")
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"""#
}
