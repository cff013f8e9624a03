# Seed 000's client. The document's "Cliente" section is empty ("a", "b"): this is the client its
# server implies (not in the document: all of it), written as the document's style does.
import os
import socket
import threading

HEADER = 64
PORT = int(os.environ.get("SEED_PORT", "5050"))
SERVER = os.environ.get("SEED_HOST", "127.0.0.1")
ADDR = (SERVER, PORT)
FORMAT = 'UTF-8'
DISCONNECT_MESSAGE = "Desconectar"

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(ADDR)


def enviar(msg):
    # Cabeçalho de 64 bytes com o tamanho da mensagem, depois a mensagem.
    message = msg.encode(FORMAT)
    msg_length = len(message)
    send_length = str(msg_length).encode(FORMAT)
    send_length += b' ' * (HEADER - len(send_length))
    client.send(send_length)
    client.send(message)


def receber():
    while True:
        try:
            msg = client.recv(2048).decode(FORMAT)
            if not msg:
                break
            print(msg)
        except:
            break


thread = threading.Thread(target=receber, daemon=True)
thread.start()

while True:
    try:
        msg = input()
    except EOFError:
        break
    enviar(msg)
    if msg == DISCONNECT_MESSAGE:
        break
client.close()
