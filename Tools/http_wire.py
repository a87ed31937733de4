"""One HTTP/1.1 response read off a raw socket, framed by Content-Length: shared by the
load tools (Tools/idle_connections_probe.py, Tools/replay_load.py), which keep their
own sockets so that they control connections exactly."""


def read_response(sock, buffer=b""):
    """Reads one response; returns (status, body, bytes already read past it)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response head")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        rest += chunk
    return status, rest[:length], rest[length:]
