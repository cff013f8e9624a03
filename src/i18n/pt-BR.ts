import type { Catalogue } from "./types.ts";

const at = (address: string | null) => (address ? ` de ${address}` : "");
const because = (text?: string) => (text ? `: ${text}` : ".");

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
    },
    nameTaken: ({ name }) => `! O nome ${name} já está em uso (ou parece igual a um em uso). Escolha outro.`,
    welcome: ({ name, address }) =>
      address ? `* Olá, ${name}! Você está conectado de ${address}.` : `* Olá, ${name}!`,
    online: ({ names }) => `* Online (${names.length}): ${names.join(", ")}`,
    usersLine: ({ name, address }) => (address ? `*   ${name} (${address})` : `*   ${name}`),
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
      help: "mostrar esta lista",
      private: "enviar uma mensagem privada",
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
      flood: () => "*** Desconectado: mensagens demais rápido demais (flood).",
      ping_timeout: () => "*** Desconectado: sem resposta ao ping.",
      idle_line_timeout: () => "*** Desconectado: uma linha foi começada e nunca terminada.",
      server_full: () => "*** O servidor está cheio; tente mais tarde.",
      too_many_connections: () => "*** Conexões demais a partir do seu endereço.",
      connect_rate: () => "*** Tentativas de conexão demais a partir do seu endereço; espere um pouco.",
      bad_password: () => "*** Senha errada.",
    },
    notChat:
      "Este é um servidor de chat papo, não um servidor web nesta porta. Conecte com nc, telnet ou papo connect.",
    tlsOnPlainPort:
      "Esta porta do papo fala texto puro, não TLS. Conecte sem TLS ou use a porta TLS do servidor.",
  },
  server: {
    listening: ({ address }) => `papo está escutando em ${address}`,
    listeningTls: ({ address }) => `papo está escutando com TLS em ${address} (papo connect --tls)`,
    tlsFileError: ({ option, file, reason }) => `não foi possível ler ${option} ${file}: ${reason}`,
    joinHint: "Outras pessoas na sua rede podem entrar com:",
    joinWith: ({ host, port }) => `  papo connect ${host}:${port}    ou    nc ${host} ${port}`,
    startFailed: ({ reason }) => `papo não pôde iniciar: ${reason}`,
    portInUse: ({ address }) => `o endereço ${address} já está em uso (outro servidor está rodando?)`,
    permissionDenied: ({ address }) =>
      `sem permissão para escutar em ${address} (portas abaixo de 1024 exigem privilégios)`,
    badOption: ({ detail }) => `papo: ${detail}. Veja papo --help.`,
    consoleReady: "Console: digite /ajuda para os comandos do operador.",
    consoleHelp: [
      "/users            listar quem está online (também: /who, /usuarios)",
      "/kick NOME [motivo]  desconectar um usuário (também: /expulsar)",
      "/announce TEXTO   enviar um aviso a todos (também: /say, /avisar)",
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
    shuttingDown: ({ text }) => `Encerrando${text ? `: ${text}` : ""}...`,
    stopped: "papo encerrado.",
  },
};
