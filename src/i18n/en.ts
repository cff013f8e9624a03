import type { Catalogue } from "./types.ts";

const at = (address: string | null) => (address ? ` from ${address}` : "");
const because = (text?: string) => (text ? `: ${text}` : ".");

export const en: Catalogue = {
  lang: "en",
  chat: {
    greeting: ({ online }) => `* Welcome to papo! ${online} online.`,
    promptName: "* Choose a name:",
    promptPassword: "* This server needs a password:",
    nameProblem: {
      empty: "! Invalid name: it is empty.",
      too_long: "! Invalid name: it is too long.",
      space: "! Invalid name: it contains a space. Use _ or write it all together.",
      at_sign: "! Invalid name: it may not contain @.",
      control: "! Invalid name: it contains control characters.",
      invisible: "! Invalid name: it contains invisible characters.",
      reserved: "! Invalid name: that name is reserved.",
      mixed_script: "! Invalid name: it mixes letters from different alphabets.",
      brace: "! Invalid name: it may not start with {.",
      slash: "! Invalid name: it may not start with /.",
    },
    nameTaken: ({ name }) =>
      `! The name ${name} is already in use (or looks the same as one). Choose another.`,
    welcome: ({ name, address }) =>
      address ? `* Hello, ${name}! You are connected from ${address}.` : `* Hello, ${name}!`,
    online: ({ names }) => `* Online (${names.length}): ${names.join(", ")}`,
    usersLine: ({ name, address }) => (address ? `*   ${name} (${address})` : `*   ${name}`),
    tips: "* Type a message and press Enter. @name text sends a private message. /help lists the commands.",
    joined: ({ name, address }) => `* ${name} joined${at(address)}`,
    left: ({ name, reason, text }) => {
      switch (reason) {
        case "quit":
          return text ? `* ${name} left: ${text}` : `* ${name} left`;
        case "kicked":
          return `* ${name} was removed by the operator${because(text)}`;
        case "error":
          return text ? `* ${name} was disconnected: ${text}` : `* ${name} was disconnected`;
        case "disconnected":
          return `* ${name} lost the connection`;
      }
    },
    privateIn: ({ from, text }) => `${from} (private): ${text}`,
    privateOut: ({ to, text }) => `-> ${to} (private): ${text}`,
    action: ({ from, text }) => `* ${from} ${text}`,
    renamed: ({ from, to }) => `* ${from} is now ${to}`,
    helpHeader: "* Commands:",
    commandHelp: {
      quit: "leave the chat",
      users: "list who is online",
      nick: "change your name",
      me: "describe an action",
      help: "show this list",
      private: "send a private message",
    },
    announce: ({ text }) => `*** Announcement: ${text}`,
    unknownUser: ({ name }) => `! No user named ${name} is online.`,
    privateSelf: "! You cannot send a private message to yourself.",
    privateMissingText: ({ usage }) => `! The private message is empty. Use: ${usage}`,
    unknownCommand: ({ command }) => `! Unknown command ${command}. Type /help for the list.`,
    usage: ({ usage }) => `! Use: ${usage}`,
    notRegistered: "! Choose a name first.",
    lineTooLong: ({ limit }) => `! Line too long (more than ${limit} bytes); it was not sent.`,
    invalidUtf8: "! That line was not valid UTF-8 text; it was not sent.",
    badJson: "! That line was not a JSON object.",
    badRequest: "! Unknown request.",
    flood: ({ retryMs }) =>
      `! You are sending too fast; wait ${Math.ceil(retryMs / 1000)} s. That line was not sent.`,
    badPassword: "! Wrong password.",
    internal: "! Something went wrong on the server with that line; it was not sent.",
    bye: {
      quit: () => "*** Goodbye.",
      kicked: ({ text }) => `*** You were removed by the operator${because(text)}`,
      shutdown: ({ text }) => `*** The server is shutting down${because(text)}`,
      line_overflow: () => "*** Disconnected: too much data without a line end.",
      bad_frame: () => "*** Disconnected: malformed message header.",
      registration_timeout: () => "*** Disconnected: no name was chosen in time.",
      send_queue_exceeded: () =>
        "*** Disconnected: you were not reading messages fast enough (send queue exceeded).",
      flood: () => "*** Disconnected: too many messages too fast (flood).",
      ping_timeout: () => "*** Disconnected: no answer to ping.",
      idle_line_timeout: () => "*** Disconnected: a line was started but never finished.",
      server_full: () => "*** The server is full; try again later.",
      too_many_connections: () => "*** Too many connections from your address.",
      connect_rate: () => "*** Too many connection attempts from your address; wait a moment.",
      bad_password: () => "*** Wrong password.",
    },
    notChat:
      "This is a papo chat server, not a web server on this port. Connect with nc or telnet, or papo connect.",
    tlsOnPlainPort:
      "This papo port speaks plain text, not TLS. Connect without TLS, or use the server's TLS port.",
  },
  server: {
    listening: ({ address }) => `papo is listening on ${address}`,
    listeningTls: ({ address }) => `papo is listening with TLS on ${address} (papo connect --tls)`,
    tlsFileError: ({ option, file, reason }) => `cannot read ${option} ${file}: ${reason}`,
    joinHint: "Others on your network can join with:",
    joinWith: ({ host, port }) => `  papo connect ${host}:${port}    or    nc ${host} ${port}`,
    startFailed: ({ reason }) => `papo could not start: ${reason}`,
    portInUse: ({ address }) => `the address ${address} is already in use (is another server running?)`,
    permissionDenied: ({ address }) =>
      `no permission to listen on ${address} (ports below 1024 need privileges)`,
    badOption: ({ detail }) => `papo: ${detail}. Try papo --help.`,
    consoleReady: "Console: type /help for operator commands.",
    consoleHelp: [
      "/users            list who is online (alias: /who)",
      "/kick NAME [why]  disconnect a user",
      "/announce TEXT    send a notice to everyone (alias: /say)",
      "/shutdown [why]   tell everyone and stop the server (alias: sair, /quit)",
      "/help             this list",
    ],
    consoleUnknown: ({ command }) => `Unknown console command ${command}; type /help.`,
    consoleUsers: ({ count }) => `${count} online:`,
    consoleNoUsers: "Nobody is online.",
    consoleKicked: ({ name }) => `${name} was removed.`,
    consoleNoSuchUser: ({ name }) => `No user named ${name} is online.`,
    consoleAnnounced: "Announcement sent.",
    consoleUsage: ({ usage }) => `Use: ${usage}`,
    shuttingDown: ({ text }) => `Shutting down${text ? `: ${text}` : ""}...`,
    stopped: "papo stopped.",
  },
};
