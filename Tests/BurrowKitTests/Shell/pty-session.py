# Drives `burrow shell` under a real pseudo-terminal, as a person would: prints one JSON line with
# what the terminal showed and the exit status. Usage: python3 pty-session.py BURROW ARGS…
import fcntl, json, os, pty, select, struct, sys, termios, time

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])

def set_size(rows, columns):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

out = b""
def wait_for(marker, seconds=60):
    global out
    deadline = time.time() + seconds
    while marker not in out and time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                piece = os.read(fd, 65536)
            except OSError:
                return False
            if not piece:
                return False
            out += piece
    return marker in out

def send(text):
    os.write(fd, text.encode())

set_size(30, 100)
steps = {}
wait_for(b"$ ")                              # the prompt: a shell flushes what was typed before it
send("echo RE''ADY\n")                       # the typed line echoes RE''ADY; only the output says READY
steps["ready"] = wait_for(b"READY")
send("id; stty size; echo SI''ZE1\n")
steps["size1"] = wait_for(b"SIZE1")
set_size(40, 120)                            # the kernel sends SIGWINCH to `burrow shell`
time.sleep(1)
send("stty size; echo SI''ZE2\n")
steps["size2"] = wait_for(b"SIZE2")
send("sleep 30; echo SL''EPT\n")
time.sleep(1.5)
send("\x03")                                 # Ctrl-C: for the remote shell, not for `burrow shell`
send("echo CT''RLC $?\n")
steps["ctrlc"] = wait_for(b"CTRLC 1")
send("exit 3\n")
deadline = time.time() + 60
status = None
while time.time() < deadline:
    done, code = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(code)
        break
    ready, _, _ = select.select([fd], [], [], 0.2)
    if ready:
        try:
            out += os.read(fd, 65536)
        except OSError:
            pass
print(json.dumps({"status": status, "steps": steps, "output": out.decode("utf-8", "replace")}))
