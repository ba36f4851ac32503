#!/usr/bin/env python3
"""body-flood.py SOCKET COUNT BYTES: COUNT model requests at once on a burrow's egress socket, each
with a BYTES body (a JSON object padded to size); prints how many answers came back with each status
(`reset` when the connection was cut before an answer)."""
import collections, socket, sys, threading

path, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
prefix = b'{"model":"claude-opus-5-5","max_tokens":1,"messages":[],"pad":"'
body = prefix + b"a" * max(0, size - len(prefix) - 2) + b'"}'
head = (f"POST /v1/messages HTTP/1.1\r\nHost: burrow\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
results = collections.Counter()
lock = threading.Lock()

def one():
    status = "reset"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(120)
            s.connect(path)
            try:
                s.sendall(head)
                s.sendall(body)
            except OSError:
                pass  # refused before the body was read: the answer may still be there
            answer = b""
            while b"\r\n" not in answer:
                piece = s.recv(65536)
                if not piece:
                    break
                answer += piece
            if answer.startswith(b"HTTP/1.1 "):
                status = answer[9:12].decode()
    except OSError:
        pass
    with lock:
        results[status] += 1

threads = [threading.Thread(target=one) for _ in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(" ".join(f"{k}×{v}" for k, v in sorted(results.items())))
