#!/usr/bin/env python3
"""A seed-style chat server, written from the five seed documents' description, as a baseline.

The seeds' architecture, kept on purpose: one thread per client, a shared list of clients, and a
broadcast that loops over every other client calling sendall() from the sender's own thread.
Their bugs are not kept (a recv assumed to be one message, a list without a lock, a send loop that
dies on the first broken peer), so the load generator can check every delivery.

Protocol: the same shape as papo's text mode. The server greets and asks for a name; a name with
a space or '@', or already in use, is refused and asked again; then `* Hello, NAME! You are
connected from IP:PORT.`, everyone else gets `* NAME joined from IP:PORT`; each line is sent to
everyone else as `NAME: text`; `@name text` is private; `/sair` or `/quit` leaves.

    python3 bench/baselines/seed_server.py --host 127.0.0.1 --port 0

Prints `seed server is listening on HOST:PORT` once it listens.
"""

import argparse
import socket
import sys
import threading

clients = {}  # socket -> name
lock = threading.Lock()


def broadcast(data, sender=None):
    with lock:
        targets = [s for s in clients if s is not sender]
    for s in targets:
        try:
            s.sendall(data)
        except OSError:
            remove(s)


def remove(sock):
    with lock:
        name = clients.pop(sock, None)
    try:
        sock.close()
    except OSError:
        pass
    return name


def send(sock, text):
    sock.sendall(text.encode("utf-8"))


def handle(sock, addr):
    ip, port = addr[0], addr[1]
    print(f"[NOVA CONEXAO] {ip}:{port} conectado.", flush=True) if VERBOSE else None
    name = None
    buf = b""
    try:
        send(sock, "* Welcome to the seed chat!\n* Choose a name:\n")
        while True:
            data = sock.recv(4096)
            if not data:
                break
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                text = raw.decode("utf-8", "replace").strip()
                if not text:
                    continue
                if name is None:
                    if " " in text or "@" in text:
                        send(sock, "! Invalid name: no spaces or @.\n* Choose a name:\n")
                        continue
                    with lock:
                        taken = text in clients.values()
                        if not taken:
                            clients[sock] = text
                    if taken:
                        send(sock, "! That name is in use.\n* Choose a name:\n")
                        continue
                    name = text
                    send(sock, f"* Hello, {name}! You are connected from {ip}:{port}.\n")
                    broadcast(f"* {name} joined from {ip}:{port}\n".encode("utf-8"), sock)
                elif text in ("/sair", "/quit"):
                    send(sock, "*** Goodbye.\n")
                    return
                elif text.startswith("@"):
                    target, _, msg = text[1:].partition(" ")
                    with lock:
                        dest = [s for s, n in clients.items() if n == target]
                    if target == name:
                        send(sock, "! You cannot send a private message to yourself.\n")
                    elif not dest:
                        send(sock, f"! No user named {target} is online.\n")
                    elif not msg.strip():
                        send(sock, "! Usage: @name text\n")
                    else:
                        try:
                            send(dest[0], f"{name} (private): {msg.strip()}\n")
                        except OSError:
                            pass
                else:
                    broadcast(f"{name}: {text}\n".encode("utf-8"), sock)
    except OSError:
        pass
    finally:
        left = remove(sock)
        if left is not None:
            broadcast(f"* {left} left\n".encode("utf-8"))


def main():
    global VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    VERBOSE = args.verbose
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind((args.host, args.port))
        server.listen(1024)
    except OSError as e:
        print(f"seed server could not start: {e}", file=sys.stderr)
        sys.exit(1)
    host, port = server.getsockname()[:2]
    print(f"seed server is listening on {host}:{port}", flush=True)
    while True:
        sock, addr = server.accept()
        threading.Thread(target=handle, args=(sock, addr), daemon=True).start()


VERBOSE = False

if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
