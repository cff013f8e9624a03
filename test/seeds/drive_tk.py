"""Drives seed 004's Tkinter client for the tests, under a real X server (Xvfb).

    xvfb-run -a python3 -u drive_tk.py seed004_client.py

The client runs unchanged (runpy). Once its window exists, this polls it from Tk's own event loop
(no other thread touches Tk) and
- prints `CHAT <line>` for every line the chat pane shows, `DIALOG <title> | <message>` for every
  message box (and presses its OK), `WINDOW` once the chat window is up;
- takes commands on stdin: `name TEXT` (types the name into the name dialog and presses OK),
  `say TEXT` (types into the input and presses Enviar), `click LABEL` (presses the button),
  `close` (closes the window, as its title bar's X does).
"""
import queue
import runpy
import sys
import threading
import tkinter as tk

commands = queue.Queue()


def read_stdin():
    for line in sys.stdin:
        commands.put(line.rstrip("\n"))


threading.Thread(target=read_stdin, daemon=True).start()


def out(*parts):
    print(*parts, flush=True)


def walk(w):
    yield w
    for child in w.winfo_children():
        yield from walk(child)


state = {"chat": "", "window": False}
BOX = ".__tk__messagebox"  # Tk's own message box on X11 (::tk::MessageBox)


def step(root):
    if root.tk.call("winfo", "exists", BOX):
        title = root.tk.call("wm", "title", BOX)
        message = root.tk.call(BOX + ".msg", "cget", "-text")
        out("DIALOG", title, "|", message)
        root.tk.call(BOX + ".ok", "invoke")
        return
    everything = list(walk(root))
    buttons = {w.cget("text"): w for w in everything if w.winfo_class() == "Button"}
    if "Enviar" in buttons and not state["window"]:
        state["window"] = True
        out("WINDOW")
    for w in everything:
        if w.winfo_class() == "Text":
            text = w.get("1.0", "end-1c")
            if text != state["chat"]:
                new = text[len(state["chat"]):] if text.startswith(state["chat"]) else text
                state["chat"] = text
                for line in new.split("\n"):
                    if line.strip():
                        out("CHAT", line)
    while not commands.empty():
        command, _, arg = commands.get().partition(" ")
        if command == "name":
            dialog = [w for w in everything if isinstance(w, tk.Toplevel)]
            entries = [w for d in dialog for w in walk(d) if w.winfo_class() == "Entry"]
            oks = [w for d in dialog for w in walk(d) if w.winfo_class() == "Button" and w.cget("text") == "OK"]
            entries[0].insert(0, arg)
            oks[0].invoke()
        elif command == "say":
            entry = [w for w in root.winfo_children() if w.winfo_class() == "Entry"][0]
            entry.insert(0, arg)
            buttons["Enviar"].invoke()
        elif command == "click":
            buttons[arg].invoke()
        elif command == "close":
            root.destroy()
        return


def poll(root):
    try:
        step(root)
        root.after(50, poll, root)
    except tk.TclError:
        pass  # the window is gone


original_init = tk.Tk.__init__


def init(self, *args, **kwargs):
    original_init(self, *args, **kwargs)
    self.after(50, poll, self)


tk.Tk.__init__ = init
try:
    runpy.run_path(sys.argv[1], run_name="__main__")
finally:
    out("EXIT")
