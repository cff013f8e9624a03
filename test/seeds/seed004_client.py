# Seed 004's client (Tkinter), from its document: the socket code and receive_messages are the
# document's; the window around them is what its requirements describe (RF1, RF5, RF9, RF11).
import os
import socket
import threading
import tkinter as tk
from tkinter import messagebox, scrolledtext, simpledialog

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # Cria um socket para comunicação via TCP
try:
    client.connect((os.environ.get("SEED_HOST", '192.168.68.110'), int(os.environ.get("SEED_PORT", "12345"))))  # Conecta ao servidor no IP e porta especificados
except Exception:
    # RF11 (not in the document: the pop-up's code)
    root = tk.Tk()
    root.withdraw()
    messagebox.showerror("Erro", "Não foi possível conectar ao servidor. Verifique se ele está ativo.")
    raise SystemExit(1)

# RF1 (not in the document: how the name is asked)
root = tk.Tk()
root.withdraw()
name = simpledialog.askstring("Nome", "Digite seu nome (sem espaços e sem @):", parent=root)
if not name:
    client.close()
    raise SystemExit(0)
client.send(name.encode('utf-8'))  # Envia a mensagem ao servidor

# The chat window (not in the document: its layout)
root.deiconify()
root.title("Chat")
chat = scrolledtext.ScrolledText(root, state=tk.DISABLED, width=70, height=20)
chat.pack(padx=10, pady=10)
entry = tk.Entry(root, width=55)
entry.pack(side=tk.LEFT, padx=10, pady=(0, 10))


def send_message(event=None):
    msg = entry.get()
    entry.delete(0, tk.END)
    if msg:
        client.send(msg.encode('utf-8'))  # Envia a mensagem ao servidor


def exit_chat():
    # RF9: o cliente é removido do chat ao clicar em "Sair"
    client.close()  # Fecha a conexão com o servidor
    root.destroy()


entry.bind("<Return>", send_message)
tk.Button(root, text="Enviar", command=send_message).pack(side=tk.LEFT, pady=(0, 10))
tk.Button(root, text="Sair", command=exit_chat).pack(side=tk.LEFT, padx=10, pady=(0, 10))


# Função para receber mensagens do servidor
def receive_messages():
    try:
        while True:
            msg = client.recv(1024).decode('utf-8').strip()  # Recebe mensagens do servidor, decodifica e remove espaços extras
            if msg == "SERVIDOR_ENCERRADO":  # Verifica se o servidor enviou um comando de encerramento
                messagebox.showinfo("Desconectado", "O servidor foi encerrado. O chat será fechado.")  # Exibe aviso de desconexão
                root.destroy()  # Fecha a janela principal do chat
                break  # Encerra o loop de recebimento
            chat.config(state=tk.NORMAL)  # Permite edição no campo de chat para inserir a nova mensagem
            chat.insert(tk.END, msg + '\n')  # Adiciona a mensagem recebida ao final do chat
            chat.config(state=tk.DISABLED)  # Desabilita a edição novamente para evitar alterações manuais
    except:  # Caso ocorra algum erro
        client.close()  # Fecha a conexão com o servidor


threading.Thread(target=receive_messages, daemon=True).start()  # Inicia uma thread para receber mensagens do servidor
root.mainloop()
