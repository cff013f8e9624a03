import type { Catalogue } from "./types.ts";

const at = (address: string | null) => (address ? ` from ${address}` : "");
const because = (text?: string) => (text ? `: ${text}` : ".");
// Issue 13 (/stats): sizes and durations for a person.
const bytes = (n: number) =>
  n >= 1024 * 1024
    ? `${(n / 1024 / 1024).toFixed(1)} MiB`
    : n >= 1024
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${n} B`;
const duration = (s: number) =>
  s >= 86400
    ? `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`
    : s >= 3600
      ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
      : s >= 60
        ? `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`
        : `${Math.floor(s)} s`;
/** Issue 13: when a ban ends, in UTC (the server's and the user's clocks may not agree on a zone). */
const until = (ms?: number) =>
  ms === undefined ? "" : ` until ${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;

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
      comma: "! Invalid name: it may not contain a comma.",
    },
    nameTaken: ({ name }) =>
      `! The name ${name} is already in use (or looks the same as one). Choose another.`,
    welcome: ({ name, address }) =>
      address ? `* Hello, ${name}! You are connected from ${address}.` : `* Hello, ${name}!`,
    online: ({ names }) => `* Online (${names.length}): ${names.join(", ")}`,
    usersLine: ({ name, address, away }) =>
      `*   ${name}${address ? ` (${address})` : ""}${away === undefined ? "" : away ? ` — away: ${away}` : " — away"}`,
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
      join: "join a room (creating it) and talk there",
      part: "leave a room (the current one by default)",
      rooms: "list the rooms",
      history: "show the last N messages of the room",
      topic: "show or set the room's topic",
      away: "mark yourself away, with a message for those who write to you",
      back: "you are back (no longer away)",
      kick: "remove someone from the room (room operators)",
      invite: "invite someone to a room (to an invite-only one: room operators)",
      mode: "set the room's modes (room operators): +k KEY, +l N, +i, +m, +v NAME, +o NAME, +t, +s, +b MASK",
      help: "show this list",
      lang: "show or switch the language of what the server tells you",
      private: "send a private message",
    },
    commandUsage: {
      quit: "/quit [reason]",
      users: "/users [#room]",
      nick: "/nick NAME",
      me: "/me TEXT",
      join: "/join #room [key]",
      part: "/part [#room] [reason]",
      rooms: "/rooms",
      history: "/history [N]",
      topic: "/topic [TEXT]",
      away: "/away [MESSAGE]",
      back: "/back",
      kick: "/kick NAME [reason]",
      invite: "/invite NAME [#room]",
      mode: "/mode [#room] +MODES [ARGS]",
      help: "/help",
      lang: "/lang [en|pt-BR]",
      private: "@NAME TEXT",
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
    throttled: ({ queued, delayMs }) =>
      `* Sending slowly: ${queued} of your lines wait their turn (about ${Math.ceil(delayMs / 1000)} s). Nothing is lost.`,
    throttledDone: "* All your lines have been sent.",
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
      flood: () => "*** Disconnected: you sent far more than the server can hold for you (flood).",
      ping_timeout: () => "*** Disconnected: no answer to ping.",
      idle_line_timeout: () => "*** Disconnected: a line was started but never finished.",
      server_full: () => "*** The server is full; try again later.",
      too_many_connections: () => "*** Too many connections from your address.",
      connect_rate: () => "*** Too many connection attempts from your address; wait a moment.",
      bad_password: () => "*** Wrong password.",
      replaced: () => "*** This session was resumed from another connection.",
      banned: ({ text, until: end }) => `*** You are banned from this server${until(end)}${because(text)}`,
    },
    roomEntered: ({ room, names }) =>
      names.length
        ? `* You are in ${room} (${names.length} here: ${names.join(", ")}).`
        : `* You are in ${room}.`,
    topicIs: ({ room, topic }) => `* Topic of ${room}: ${topic}`,
    noTopic: ({ room }) => `* ${room} has no topic.`,
    topicSet: ({ by, topic }) => `* ${by} set the topic: ${topic}`,
    historyHeader: ({ room, count, more }) =>
      `* History of ${room}, the last ${count} ${count === 1 ? "event" : "events"}${more ? " (/history N shows more)" : ""}:`,
    historyEnd: "* --- end of history ---",
    historyLine: ({ time, line }) => `[${time}] ${line}`,
    gap: ({ room, reason }) =>
      reason === "epoch"
        ? `! The server's history of ${room} was reset; what was said while you were away is not known.`
        : `! Some of what was said in ${room} while you were away is no longer kept.`,
    current: ({ room }) => `* Now talking in ${room}.`,
    parted: ({ room, current }) => `* You left ${room}; now talking in ${current}.`,
    roomsHeader: ({ count }) => `* Rooms (${count}):`,
    roomsLine: ({ room, users, topic }) =>
      `*   ${room}: ${users} ${users === 1 ? "person" : "people"}${topic ? ` — ${topic}` : ""}`,
    roomUsers: ({ room, names }) => `* In ${room} (${names.length}): ${names.join(", ")}`,
    roomProblem: {
      empty: "! Invalid room name: it is empty.",
      too_long: "! Invalid room name: it is too long.",
      space: "! Invalid room name: it contains a space.",
      at_sign: "! Invalid room name: it may not contain @.",
      control: "! Invalid room name: it contains control characters.",
      invisible: "! Invalid room name: it contains invisible characters.",
      reserved: "! Invalid room name: that name is reserved.",
      mixed_script: "! Invalid room name: it mixes letters from different alphabets.",
      brace: "! Invalid room name: it may not start with {.",
      slash: "! Invalid room name: it may not start with /.",
      comma: "! Invalid room name: it may not contain a comma.",
      prefix: "! Invalid room name: write it with one # (like #geral).",
    },
    notInRoom: ({ room }) => `! You are not in ${room}; /join it first.`,
    tooManyRooms: ({ limit }) => `! You are in ${limit} rooms already; /part one first.`,
    roomsFull: ({ limit }) => `! The server has ${limit} rooms already; join one of them (/rooms).`,
    lobbyPart: "! This is the last room you are in; to leave the chat, use /quit.",
    resumeFailed: ({ reason }) =>
      reason === "taken"
        ? "! Your name was taken while you were away; choose a name."
        : reason === "expired"
          ? "! Your session expired; choose a name."
          : "! That session cannot be resumed; choose a name.",
    historyPaused: "*** History is paused: the server cannot save messages right now. Chat goes on.",
    historyResumed: "*** History is being saved again.",
    clusterDegraded:
      "*** This server has lost touch with the others: messages will arrive late (none are lost) until it is back.",
    clusterRestored: "*** This server is back in touch with the others.",
    notChat:
      "This is a papo chat server, not a web server on this port. Connect with nc or telnet, or papo connect.",
    tlsOnPlainPort:
      "This papo port speaks plain text, not TLS. Connect without TLS, or use the server's TLS port.",
    // ---- Away, notices, PART reasons, room operators (issues 11 and 13) ----
    awayOn: ({ text }) => (text ? `* You are away: ${text}` : "* You are away."),
    awayOff: "* You are back.",
    awayReply: ({ name, text }) => (text ? `* ${name} is away: ${text}` : `* ${name} is away.`),
    noticeIn: ({ from, text }) => `-${from}- ${text}`,
    privateNoticeIn: ({ from, text }) => `-${from} (private)- ${text}`,
    kickedFromRoom: ({ name, by, text }) =>
      `* ${by} removed ${name} from the room${text ? `: ${text}` : "."}`,
    modeChanged: ({ by, room, modes }) => `* ${by} set ${room} ${modes}`,
    invitedYou: ({ by, room }) => `* ${by} invites you to ${room} (/join ${room}).`,
    inviteSent: ({ name, room }) => `* ${name} is invited to ${room}.`,
    notRoomOperator: ({ room }) => `! Only the operators of ${room} can do that.`,
    roomFull: ({ room, limit }) => `! ${room} is full (${limit} people).`,
    roomKey: ({ room }) => `! ${room} needs a key: /join ${room} KEY`,
    roomInviteOnly: ({ room }) => `! ${room} is invite-only: ask one of its operators.`,
    roomBanned: ({ room }) => `! You are banned from ${room}.`,
    roomModerated: ({ room }) => `! ${room} is moderated: only its operators and voiced members speak.`,
    userNotInRoom: ({ room, name }) => `! ${name} is not in ${room}.`,
    userInRoom: ({ room, name }) => `! ${name} is already in ${room}.`,
    badMode: ({ mode, problem, arg }) =>
      problem === "unknown"
        ? `! Unknown room mode ${mode}.`
        : problem === "not_in_room"
          ? `! ${arg ?? ""} is not in the room.`
          : problem === "list_full"
            ? "! The ban list is full."
            : `! Invalid value for mode ${mode}${arg ? `: ${arg}` : ""}.`,
    // Issue 13: per-connection language.
    langNow: ({ lang, langs }) =>
      `* Your language is ${lang}. Available: ${langs.join(", ")} (/lang pt-BR switches to Portuguese).`,
    langSet: ({ lang }) => `* Language set to English (${lang}).`,
    langUnknown: ({ lang, langs }) => `! There are no texts in ${lang}. Available: ${langs.join(", ")}.`,
  },
  server: {
    listening: ({ address }) => `papo is listening on ${address}`,
    listeningNick: ({ address }) => `Seed 001 clients (NICK greeting, ASCII only) on ${address}`,
    listeningTls: ({ address }) => `papo is listening with TLS on ${address} (papo connect --tls)`,
    tlsFileError: ({ option, file, reason }) => `cannot read ${option} ${file}: ${reason}`,
    joinHint: "Others on your network can join with:",
    joinWith: ({ address, host, port }) => `  papo connect ${address}    or    nc ${host} ${port}`,
    startFailed: ({ reason }) => `papo could not start: ${reason}`,
    portInUse: ({ address }) => `the address ${address} is already in use (is another server running?)`,
    permissionDenied: ({ address }) =>
      `no permission to listen on ${address} (ports below 1024 need privileges)`,
    badOption: ({ detail }) => `papo: ${detail}. Try papo --help.`,
    // Issue 13: the configuration file (`papo serve --print-config`); printed as TOML comments.
    configHeader:
      "# The configuration papo serve would start with. Each value comes from the first of: the command\n# line (flag), a PAPO_… environment variable (env), the configuration file (file), papo's default.",
    configFile: ({ file }) => `# Configuration file: ${file}`,
    configNoFile: "# No configuration file (--config FILE, PAPO_CONFIG, or ./papo.toml if it exists).",
    configNotSet: "not set",
    configOverridden: ({ by }) => `overridden by ${by}`,
    consoleReady: "Console: type /help for operator commands.",
    consoleHelp: [
      "/users            list who is online (alias: /who)",
      "/kick NAME [why]  disconnect a user",
      "/announce TEXT    send a notice to everyone (alias: /say)",
      "/stats            connections, messages, refusals, memory, health (as GET /metrics)",
      "/ban NAME|ADDRESS|CIDR [10m|2h|7d] [why]  refuse a name, an address or a network",
      "/unban NAME|ADDRESS|CIDR                  lift a ban",
      "/bans             list the bans in force",
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
    historyIn: ({ file }) => `History is kept in ${file}`,
    storeFallback: ({ reason }) =>
      `papo: SQLite is not available here (${reason}); history is kept in memory only and lost when papo stops.`,
    storeMissing: ({ reason }) => `--data needs SQLite, which is not available here (${reason})`,
    consoleUsages: {
      kick: "/kick NAME [reason]",
      announce: "/announce TEXT",
      ban: "/ban NAME|ADDRESS|CIDR [duration: 30s, 10m, 2h, 7d, 1w] [reason]",
      unban: "/unban NAME|ADDRESS|CIDR",
    },
    // Issue 13: bans.
    consoleBanned: ({ target, until: end, removed }) =>
      `Banned ${target}${until(end)}.${removed.length ? ` Removed: ${removed.join(", ")}.` : ""}`,
    consoleUnbanned: ({ target }) => `The ban on ${target} is lifted.`,
    consoleNoSuchBan: ({ target }) => `${target} is not banned.`,
    consoleBadBanTarget: ({ target }) =>
      `${target} is neither a name nor an address or network (such as 10.0.0.0/8).`,
    consoleBans: ({ count }) => `${count} ${count === 1 ? "ban" : "bans"}:`,
    consoleBanLine: ({ target, until: end, reason }) =>
      `  ${target}${end === undefined ? " (for good)" : until(end)}${reason ? ` — ${reason}` : ""}`,
    consoleNoBans: "Nobody is banned.",
    clusterIn: ({ address }) =>
      `Cluster mode: rooms, names and history are shared through Redis at ${address}`,
    redisUnreachable: ({ address, reason }) => `cannot reach Redis at ${address} (${reason})`,
    shuttingDown: ({ text }) => `Shutting down${text ? `: ${text}` : ""}...`,
    // Issue 13: metrics and health.
    metricsListening: ({ url }) => `Metrics on ${url}/metrics, health on ${url}/healthz`,
    consoleStats: (f) => {
      const list = (items: { reason: string; count: number }[]) =>
        items.length ? items.map((i) => `${i.reason} ${i.count}`).join(", ") : "none";
      return [
        `Up ${duration(f.uptimeSeconds)}; health: ${f.healthy ? "ok" : `NOT OK (${f.problems.join(", ")})`}`,
        `Connections: ${f.connections}${f.byTransport.length ? ` (${f.byTransport.map((k) => `${k.kind} ${k.count}`).join(", ")})` : ""}; users: ${f.users}; rooms: ${f.rooms}`,
        `Messages received: ${f.publicMessages} public, ${f.actions} actions, ${f.privateMessages} private; deliveries: ${f.deliveries}`,
        `Refused: ${list(f.refusals)}`,
        `Disconnections: ${list(f.disconnections)}`,
        `Send queues: ${bytes(f.sendQueueBytes)} (largest ${bytes(f.sendQueueMaxBytes)})`,
        f.loop
          ? `Event-loop delay: median ${f.loop.p50.toFixed(1)} ms, 99th percentile ${f.loop.p99.toFixed(1)} ms, max ${f.loop.max.toFixed(1)} ms`
          : "Event-loop delay: measured from now on; ask again in a moment",
        `Memory: ${bytes(f.rssBytes)} resident, heap ${bytes(f.heapUsedBytes)} of ${bytes(f.heapTotalBytes)}`,
        `Store: ${f.commits} commits, ${f.commitMeanMs.toFixed(2)} ms on average, ${f.storeFailures} failed`,
      ];
    },
    stopped: "papo stopped.",
  },
};
