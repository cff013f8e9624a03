import type { Catalogue } from "./types.ts";

const at = (address: string | null) => (address ? ` de ${address}` : "");
const because = (text?: string) => (text ? `: ${text}` : ".");
// Issue 13 (/stats): tamanhos e durações para gente.
const bytes = (n: number) =>
  n >= 1024 * 1024
    ? `${(n / 1024 / 1024).toFixed(1).replace(".", ",")} MiB`
    : n >= 1024
      ? `${(n / 1024).toFixed(1).replace(".", ",")} KiB`
      : `${n} B`;
const duracao = (s: number) =>
  s >= 86400
    ? `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`
    : s >= 3600
      ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
      : s >= 60
        ? `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`
        : `${Math.floor(s)} s`;
/** Issue 13: quando um banimento termina, em UTC. */
const until = (ms?: number) => {
  if (ms === undefined) return "";
  const iso = new Date(ms).toISOString();
  return ` até ${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)} ${iso.slice(11, 16)} UTC`;
};

export const ptBR: Catalogue = {
  lang: "pt-BR",
  chat: {
    greeting: ({ online }) => `* Bem-vindo ao papo! ${online} online.`,
    promptName: "* Informe seu nome para entrar no chat:",
    promptPassword: "* Este servidor pede uma senha:",
    nameProblem: {
      empty: "! Nome inválido: está vazio.",
      too_long: "! Nome inválido: é longo demais.",
      space: "! Nome inválido: o nome não pode conter espaços. Use '_' ou tudo junto.",
      at_sign: "! Nome inválido: o nome não pode conter @.",
      control: "! Nome inválido: contém caracteres de controle.",
      invisible: "! Nome inválido: contém caracteres invisíveis.",
      reserved: "! Nome inválido: esse nome é reservado.",
      mixed_script: "! Nome inválido: mistura letras de alfabetos diferentes.",
      brace: "! Nome inválido: não pode começar com {.",
      slash: "! Nome inválido: não pode começar com /.",
      comma: "! Nome inválido: não pode conter vírgula.",
    },
    nameTaken: ({ name }) => `! O nome ${name} já está em uso (ou parece igual a um em uso). Escolha outro.`,
    welcome: ({ name, address }) =>
      address ? `* Olá, ${name}! Você está conectado de ${address}.` : `* Olá, ${name}!`,
    online: ({ names }) => `* Online (${names.length}): ${names.join(", ")}`,
    usersLine: ({ name, address, away }) =>
      `*   ${name}${address ? ` (${address})` : ""}${away === undefined ? "" : away ? ` — ausente: ${away}` : " — ausente"}`,
    tips: "* Digite uma mensagem e tecle Enter. @nome texto envia uma mensagem privada. /ajuda lista os comandos.",
    joined: ({ name, address }) => `* ${name} entrou no chat${at(address)}`,
    left: ({ name, reason, text }) => {
      switch (reason) {
        case "quit":
          return text ? `* ${name} saiu do chat: ${text}` : `* ${name} saiu do chat.`;
        case "kicked":
          return `* ${name} foi removido pelo operador${because(text)}`;
        case "error":
          return text ? `* ${name} foi desconectado: ${text}` : `* ${name} foi desconectado.`;
        case "disconnected":
          return `* ${name} perdeu a conexão.`;
      }
    },
    privateIn: ({ from, text }) => `${from} (privado): ${text}`,
    privateOut: ({ to, text }) => `-> ${to} (privado): ${text}`,
    action: ({ from, text }) => `* ${from} ${text}`,
    renamed: ({ from, to }) => `* ${from} agora se chama ${to}`,
    helpHeader: "* Comandos:",
    commandHelp: {
      quit: "sair do chat",
      users: "listar quem está online",
      nick: "trocar de nome",
      me: "descrever uma ação",
      join: "entrar numa sala (criando-a) e conversar nela",
      part: "sair de uma sala (a atual, se nenhuma for dada)",
      rooms: "listar as salas",
      history: "mostrar as últimas N mensagens da sala",
      topic: "mostrar ou definir o tema da sala",
      away: "marcar-se como ausente, com um recado para quem lhe escrever",
      back: "voltar (deixar de estar ausente)",
      kick: "tirar alguém da sala (operadores da sala)",
      invite: "convidar alguém para uma sala (para uma só de convidados: operadores da sala)",
      mode: "definir os modos da sala (operadores): +k CHAVE, +l N, +i, +m, +v NOME, +o NOME, +t, +s, +b MÁSCARA",
      help: "mostrar esta lista",
      lang: "mostrar ou trocar o idioma do que o servidor lhe diz",
      private: "enviar uma mensagem privada",
    },
    commandUsage: {
      quit: "/sair [motivo]",
      users: "/usuarios [#sala]",
      nick: "/nome NOME",
      me: "/eu TEXTO",
      join: "/entrar #sala [chave]",
      part: "/part [#sala] [motivo]",
      rooms: "/salas",
      history: "/historico [N]",
      topic: "/tema [TEXTO]",
      away: "/ausente [RECADO]",
      back: "/voltei",
      kick: "/expulsar NOME [motivo]",
      invite: "/convidar NOME [#sala]",
      mode: "/modo [#sala] +MODOS [ARGS]",
      help: "/ajuda",
      lang: "/idioma [en|pt-BR]",
      private: "@NOME TEXTO",
    },
    announce: ({ text }) => `*** Aviso: ${text}`,
    unknownUser: ({ name }) => `! Usuário ${name} não encontrado.`,
    privateSelf: "! Você não pode enviar mensagens privadas para si mesmo.",
    privateMissingText: ({ usage }) => `! Formato inválido: a mensagem privada está vazia. Use ${usage}`,
    unknownCommand: ({ command }) => `! Comando desconhecido ${command}. Digite /ajuda para ver a lista.`,
    usage: ({ usage }) => `! Use: ${usage}`,
    notRegistered: "! Escolha um nome primeiro.",
    lineTooLong: ({ limit }) => `! Linha longa demais (mais de ${limit} bytes); não foi enviada.`,
    invalidUtf8: "! Essa linha não era texto UTF-8 válido; não foi enviada.",
    badJson: "! Essa linha não era um objeto JSON.",
    badRequest: "! Pedido desconhecido.",
    flood: ({ retryMs }) =>
      `! Você está enviando rápido demais; espere ${Math.ceil(retryMs / 1000)} s. Essa linha não foi enviada.`,
    throttled: ({ queued, delayMs }) =>
      `* Enviando devagar: ${queued} das suas linhas aguardam a vez (cerca de ${Math.ceil(delayMs / 1000)} s). Nada se perde.`,
    throttledDone: "* Todas as suas linhas foram enviadas.",
    badPassword: "! Senha errada.",
    internal: "! Algo deu errado no servidor com essa linha; ela não foi enviada.",
    bye: {
      quit: () => "*** Você saiu do chat.",
      kicked: ({ text }) => `*** Você foi removido pelo operador${because(text)}`,
      shutdown: ({ text }) => `*** O servidor está sendo encerrado${because(text)}`,
      line_overflow: () => "*** Desconectado: dados demais sem fim de linha.",
      bad_frame: () => "*** Desconectado: cabeçalho de mensagem malformado.",
      registration_timeout: () => "*** Desconectado: nenhum nome foi escolhido a tempo.",
      send_queue_exceeded: () =>
        "*** Desconectado: você não estava lendo as mensagens rápido o bastante (fila de envio cheia).",
      flood: () => "*** Desconectado: você enviou muito mais do que o servidor guarda para você (flood).",
      ping_timeout: () => "*** Desconectado: sem resposta ao ping.",
      idle_line_timeout: () => "*** Desconectado: uma linha foi começada e nunca terminada.",
      server_full: () => "*** O servidor está cheio; tente mais tarde.",
      too_many_connections: () => "*** Conexões demais a partir do seu endereço.",
      connect_rate: () => "*** Tentativas de conexão demais a partir do seu endereço; espere um pouco.",
      replaced: () => "*** Esta sessão foi retomada a partir de outra conexão.",
      bad_password: () => "*** Senha errada.",
      banned: ({ text, until: end }) => `*** Você está banido deste servidor${until(end)}${because(text)}`,
    },
    roomEntered: ({ room, names }) =>
      names.length
        ? `* Você está em ${room} (${names.length} aqui: ${names.join(", ")}).`
        : `* Você está em ${room}.`,
    topicIs: ({ room, topic }) => `* Tema de ${room}: ${topic}`,
    noTopic: ({ room }) => `* ${room} não tem tema.`,
    topicSet: ({ by, topic }) => `* ${by} definiu o tema: ${topic}`,
    historyHeader: ({ room, count, more }) =>
      `* Histórico de ${room}, ${count === 1 ? "o último evento" : `os últimos ${count} eventos`}${more ? " (/historico N mostra mais)" : ""}:`,
    historyEnd: "* --- fim do histórico ---",
    historyLine: ({ time, line }) => `[${time}] ${line}`,
    gap: ({ room, reason }) =>
      reason === "epoch"
        ? `! O histórico de ${room} no servidor foi reiniciado; não se sabe o que foi dito enquanto você estava fora.`
        : `! Parte do que foi dito em ${room} enquanto você estava fora não está mais guardada.`,
    current: ({ room }) => `* Agora conversando em ${room}.`,
    parted: ({ room, current }) => `* Você saiu de ${room}; agora conversando em ${current}.`,
    roomsHeader: ({ count }) => `* Salas (${count}):`,
    roomsLine: ({ room, users, topic }) =>
      `*   ${room}: ${users} ${users === 1 ? "pessoa" : "pessoas"}${topic ? ` — ${topic}` : ""}`,
    roomUsers: ({ room, names }) => `* Em ${room} (${names.length}): ${names.join(", ")}`,
    roomProblem: {
      empty: "! Nome de sala inválido: está vazio.",
      too_long: "! Nome de sala inválido: é longo demais.",
      space: "! Nome de sala inválido: contém espaço.",
      at_sign: "! Nome de sala inválido: não pode conter @.",
      control: "! Nome de sala inválido: contém caracteres de controle.",
      invisible: "! Nome de sala inválido: contém caracteres invisíveis.",
      reserved: "! Nome de sala inválido: esse nome é reservado.",
      mixed_script: "! Nome de sala inválido: mistura letras de alfabetos diferentes.",
      brace: "! Nome de sala inválido: não pode começar com {.",
      slash: "! Nome de sala inválido: não pode começar com /.",
      comma: "! Nome de sala inválido: não pode conter vírgula.",
      prefix: "! Nome de sala inválido: escreva com um só # (como #geral).",
    },
    notInRoom: ({ room }) => `! Você não está em ${room}; entre antes com /entrar.`,
    tooManyRooms: ({ limit }) => `! Você já está em ${limit} salas; saia de uma antes (/part).`,
    roomsFull: ({ limit }) => `! O servidor já tem ${limit} salas; entre em uma delas (/salas).`,
    lobbyPart: "! Esta é a última sala em que você está; para sair do chat, use /sair.",
    resumeFailed: ({ reason }) =>
      reason === "taken"
        ? "! Seu nome foi ocupado enquanto você estava fora; escolha um nome."
        : reason === "expired"
          ? "! Sua sessão expirou; escolha um nome."
          : "! Essa sessão não pode ser retomada; escolha um nome.",
    historyPaused: "*** Histórico pausado: o servidor não consegue salvar mensagens agora. O chat continua.",
    historyResumed: "*** O histórico voltou a ser salvo.",
    clusterDegraded:
      "*** Este servidor perdeu contato com os outros: as mensagens vão chegar atrasadas (nenhuma se perde) até ele voltar.",
    clusterRestored: "*** Este servidor voltou a ter contato com os outros.",
    notChat:
      "Este é um servidor de chat papo, não um servidor web nesta porta. Conecte com nc, telnet ou papo connect.",
    tlsOnPlainPort:
      "Esta porta do papo fala texto puro, não TLS. Conecte sem TLS ou use a porta TLS do servidor.",
    // ---- Away, notices, PART reasons, room operators (issues 11 and 13) ----
    awayOn: ({ text }) => (text ? `* Você está ausente: ${text}` : "* Você está ausente."),
    awayOff: "* Você voltou.",
    awayReply: ({ name, text }) => (text ? `* ${name} está ausente: ${text}` : `* ${name} está ausente.`),
    noticeIn: ({ from, text }) => `-${from}- ${text}`,
    privateNoticeIn: ({ from, text }) => `-${from} (privado)- ${text}`,
    kickedFromRoom: ({ name, by, text }) => `* ${by} removeu ${name} da sala${text ? `: ${text}` : "."}`,
    modeChanged: ({ by, room, modes }) => `* ${by} definiu ${room} ${modes}`,
    invitedYou: ({ by, room }) => `* ${by} convida você para ${room} (/entrar ${room}).`,
    inviteSent: ({ name, room }) => `* ${name} foi convidado para ${room}.`,
    notRoomOperator: ({ room }) => `! Só os operadores de ${room} podem fazer isso.`,
    roomFull: ({ room, limit }) => `! ${room} está cheia (${limit} pessoas).`,
    roomKey: ({ room }) => `! ${room} pede uma chave: /entrar ${room} CHAVE`,
    roomInviteOnly: ({ room }) => `! ${room} é só para convidados: peça a um dos operadores.`,
    roomBanned: ({ room }) => `! Você está banido de ${room}.`,
    roomModerated: ({ room }) => `! ${room} é moderada: só operadores e membros com voz falam.`,
    userNotInRoom: ({ room, name }) => `! ${name} não está em ${room}.`,
    userInRoom: ({ room, name }) => `! ${name} já está em ${room}.`,
    badMode: ({ mode, problem, arg }) =>
      problem === "unknown"
        ? `! Modo de sala desconhecido: ${mode}.`
        : problem === "not_in_room"
          ? `! ${arg ?? ""} não está na sala.`
          : problem === "list_full"
            ? "! A lista de banimentos está cheia."
            : `! Valor inválido para o modo ${mode}${arg ? `: ${arg}` : ""}.`,
    // Issue 13: idioma por conexão.
    langNow: ({ lang, langs }) =>
      `* Seu idioma é ${lang}. Disponíveis: ${langs.join(", ")} (/idioma en muda para inglês).`,
    langSet: ({ lang }) => `* Idioma definido: português do Brasil (${lang}).`,
    langUnknown: ({ lang, langs }) => `! Não há textos em ${lang}. Disponíveis: ${langs.join(", ")}.`,
  },
  server: {
    listening: ({ address }) => `papo está escutando em ${address}`,
    listeningNick: ({ address }) => `Clientes do seed 001 (saudação NICK, só ASCII) em ${address}`,
    listeningTls: ({ address }) => `papo está escutando com TLS em ${address} (papo connect --tls)`,
    tlsFileError: ({ option, file, reason }) => `não foi possível ler ${option} ${file}: ${reason}`,
    joinHint: "Outras pessoas na sua rede podem entrar com:",
    joinWith: ({ address, host, port }) => `  papo connect ${address}    ou    nc ${host} ${port}`,
    startFailed: ({ reason }) => `papo não pôde iniciar: ${reason}`,
    portInUse: ({ address }) => `o endereço ${address} já está em uso (outro servidor está rodando?)`,
    permissionDenied: ({ address }) =>
      `sem permissão para escutar em ${address} (portas abaixo de 1024 exigem privilégios)`,
    badOption: ({ detail }) => `papo: ${detail}. Veja papo --help.`,
    // Issue 13: the configuration file (`papo serve --print-config`); printed as TOML comments.
    configHeader:
      "# A configuração com que papo serve começaria. Cada valor vem do primeiro destes: a linha de\n# comando (flag), uma variável de ambiente PAPO_… (env), o arquivo de configuração (file), o padrão do papo (default).",
    configFile: ({ file }) => `# Arquivo de configuração: ${file}`,
    configNoFile:
      "# Nenhum arquivo de configuração (--config ARQUIVO, PAPO_CONFIG, ou ./papo.toml se existir).",
    configNotSet: "não definido",
    configOverridden: ({ by }) => `substituído por ${by}`,
    consoleReady: "Console: digite /ajuda para os comandos do operador.",
    consoleHelp: [
      "/users            listar quem está online (também: /who, /usuarios)",
      "/kick NOME [motivo]  desconectar um usuário (também: /expulsar)",
      "/announce TEXTO   enviar um aviso a todos (também: /say, /avisar)",
      "/stats            conexões, mensagens, recusas, memória, saúde (como GET /metrics) (também: /estatisticas)",
      "/banir NOME|ENDEREÇO|CIDR [10m|2h|7d] [motivo]  recusar um nome, um endereço ou uma rede (também: /ban)",
      "/desbanir NOME|ENDEREÇO|CIDR                    retirar um banimento (também: /unban)",
      "/banidos          listar os banimentos em vigor (também: /bans)",
      "/shutdown [motivo]  avisar todos e encerrar o servidor (também: sair, /quit)",
      "/help             esta lista (também: /ajuda)",
    ],
    consoleUnknown: ({ command }) => `Comando de console desconhecido ${command}; digite /ajuda.`,
    consoleUsers: ({ count }) => `${count} online:`,
    consoleNoUsers: "Ninguém está online.",
    consoleKicked: ({ name }) => `${name} foi removido.`,
    consoleNoSuchUser: ({ name }) => `Usuário ${name} não encontrado.`,
    consoleAnnounced: "Aviso enviado.",
    consoleUsage: ({ usage }) => `Use: ${usage}`,
    historyIn: ({ file }) => `O histórico é guardado em ${file}`,
    storeFallback: ({ reason }) =>
      `papo: o SQLite não está disponível aqui (${reason}); o histórico fica só na memória e se perde quando o papo parar.`,
    storeMissing: ({ reason }) => `--data precisa do SQLite, que não está disponível aqui (${reason})`,
    consoleUsages: {
      kick: "/expulsar NOME [motivo]",
      announce: "/avisar TEXTO",
      ban: "/banir NOME|ENDEREÇO|CIDR [duração: 30s, 10m, 2h, 7d, 1w] [motivo]",
      unban: "/desbanir NOME|ENDEREÇO|CIDR",
    },
    // Issue 13: banimentos.
    consoleBanned: ({ target, until: end, removed }) =>
      `${target} está banido${until(end)}.${removed.length ? ` Removidos: ${removed.join(", ")}.` : ""}`,
    consoleUnbanned: ({ target }) => `O banimento de ${target} foi retirado.`,
    consoleNoSuchBan: ({ target }) => `${target} não está banido.`,
    consoleBadBanTarget: ({ target }) =>
      `${target} não é um nome, nem um endereço ou uma rede (como 10.0.0.0/8).`,
    consoleBans: ({ count }) => `${count} ${count === 1 ? "banimento" : "banimentos"}:`,
    consoleBanLine: ({ target, until: end, reason }) =>
      `  ${target}${end === undefined ? " (para sempre)" : until(end)}${reason ? ` — ${reason}` : ""}`,
    consoleNoBans: "Ninguém está banido.",
    clusterIn: ({ address }) =>
      `Modo cluster: salas, nomes e histórico são compartilhados pelo Redis em ${address}`,
    redisUnreachable: ({ address, reason }) => `não foi possível conectar ao Redis em ${address} (${reason})`,
    shuttingDown: ({ text }) => `Encerrando${text ? `: ${text}` : ""}...`,
    // Issue 13: métricas e saúde.
    metricsListening: ({ url }) => `Métricas em ${url}/metrics, saúde em ${url}/healthz`,
    consoleStats: (f) => {
      const list = (items: { reason: string; count: number }[]) =>
        items.length ? items.map((i) => `${i.reason} ${i.count}`).join(", ") : "nenhuma";
      const dec = (n: number, digits = 1) => n.toFixed(digits).replace(".", ",");
      return [
        `No ar há ${duracao(f.uptimeSeconds)}; saúde: ${f.healthy ? "ok" : `COM PROBLEMAS (${f.problems.join(", ")})`}`,
        `Conexões: ${f.connections}${f.byTransport.length ? ` (${f.byTransport.map((k) => `${k.kind} ${k.count}`).join(", ")})` : ""}; usuários: ${f.users}; salas: ${f.rooms}`,
        `Mensagens recebidas: ${f.publicMessages} públicas, ${f.actions} ações, ${f.privateMessages} privadas; entregas: ${f.deliveries}`,
        `Recusas: ${list(f.refusals)}`,
        `Desconexões: ${list(f.disconnections)}`,
        `Filas de envio: ${bytes(f.sendQueueBytes)} (a maior: ${bytes(f.sendQueueMaxBytes)})`,
        f.loop
          ? `Atraso do laço de eventos: mediana ${dec(f.loop.p50)} ms, percentil 99 ${dec(f.loop.p99)} ms, máximo ${dec(f.loop.max)} ms`
          : "Atraso do laço de eventos: medido a partir de agora; pergunte de novo daqui a pouco",
        `Memória: ${bytes(f.rssBytes)} residente, heap ${bytes(f.heapUsedBytes)} de ${bytes(f.heapTotalBytes)}`,
        `Armazenamento: ${f.commits} gravações, ${dec(f.commitMeanMs, 2)} ms em média, ${f.storeFailures} falharam`,
      ];
    },
    stopped: "papo encerrado.",
  },
};
