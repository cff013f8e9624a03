# Seed 001's client ("Implementando o Cliente"), as its document gives it.
import os
import socket
import threading

# Escolhendo os Apelidos
apelido = input("Escolha o seu apelido: ")

# Conectando ao Servidor
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((os.environ.get("SEED_HOST", '127.0.0.1'), int(os.environ.get("SEED_PORT", "55555"))))


# Escutando o Servidor e Enviando os Apelidos
def receive():
    while True:
        try:
            # Recebe a mensagem do servidor
            # Se 'NICK' envia o apelido
            message = client.recv(1024).decode('ascii')
            if message == 'NICK':
                client.send(apelido.encode('ascii'))
            else:
                print(message)
        except:
            # Fecha a conexão, caso der erro
            print("Ocorreu um erro!")
            client.close()
            break


# Enviando Mensagens Ao Servidor
def write():
    while True:
        message = '{}: {}'.format(apelido, input(''))
        client.send(message.encode('ascii'))


# Incializando as Threads para Escutar e Escrever
receive_thread = threading.Thread(target=receive)
receive_thread.start()

write_thread = threading.Thread(target=write)
write_thread.start()
