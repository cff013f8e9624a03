import type { ClientTexts } from "./client-types.ts";

export const clientPtBR: ClientTexts = {
  usage: `Uso: papo connect [HOST][:PORTA] [--name NOME] [--lang en|pt-BR] [--no-color] [--no-reconnect]
                  [--no-bell] [--tls [--ca ARQUIVO | --insecure]]

  HOST[:PORTA]     servidor onde entrar (padrão localhost:7777); também :PORTA, [::1]:PORTA ou HOST PORTA;
                   vários, separados por vírgula (a:7777,b:7777: nós de um cluster), são tentados em ordem
  --name, -n NOME  entrar com este nome (senão ele é perguntado)
  --lang LÍNGUA    língua dos textos do cliente (padrão: a do sistema, senão en)
  --no-color       sem cores (também NO_COLOR=1, ou quando a saída não é um terminal)
  --no-reconnect   sair quando a conexão cair em vez de reconectar
  --no-bell        não tocar o sino do terminal quando uma mensagem citar você (@você, ou o seu nome)
  --tls            conectar com TLS (porta padrão 7778); o certificado é verificado
  --ca ARQUIVO     confiar também neste certificado de CA (PEM), como o autoassinado do servidor
  --insecure       com --tls: não verificar o certificado (cifrado, mas qualquer um poderia ser o servidor)

Um servidor com senha a pede (digitada oculta); ou defina PAPO_PASSWORD.

Digite uma mensagem e tecle Enter. @nome texto envia uma mensagem privada; /entrar #sala, /part,
/salas e /historico [N] passeiam entre as salas; /ajuda lista os comandos; /sair (ou Ctrl-D) sai.
Tab completa nomes, comandos e salas; numa linha vazia escreve "nome: " (Tab de novo: o próximo
nome). Ctrl-C apaga o que você digitou (a seta para cima traz de volta); numa linha vazia, sai. Uma
mensagem que cita você aparece em destaque e toca o sino. Linhas longas quebram sob o nome.
Quando a conexão cai (ou o servidor reinicia), o cliente tenta de novo até você sair, retoma o seu
nome e mostra o que você perdeu; o que você digitou fica.
Códigos de saída: 0 você saiu (ou, com --no-reconnect, o servidor foi encerrado); 1 sem servidor,
conexão perdida com --no-reconnect, ou removido; 2 opção inválida.
`,
  badOption: ({ detail }) => `papo connect: ${detail}. Veja papo connect --help.`,
  badAddress: ({ address }) =>
    `endereço inválido "${address}" (esperado HOST, HOST:PORTA, :PORTA ou [IPv6]:PORTA)`,
  badPort: ({ port }) => `porta inválida "${port}" (esperado 1-65535)`,
  cannotConnect: ({ address, reason }) => `papo: não foi possível conectar a ${address}: ${reason}`,
  reasons: {
    refused: "conexão recusada (o servidor está rodando, e nesta porta?)",
    notFound: "host desconhecido",
    timeout: "tempo esgotado",
    hostUnreachable: "host inalcançável",
    networkUnreachable: "rede inalcançável",
    reset: "conexão reiniciada pelo servidor",
    closed: "o servidor fechou a conexão",
    notPapo: "nenhuma resposta de um servidor papo (a porta está certa?)",
    other: ({ detail }) => detail,
  },
  tlsReasons: {
    untrusted:
      "o certificado TLS do servidor não é confiável (use --ca ARQUIVO com o certificado dele, ou --insecure)",
    hostname: "o certificado TLS do servidor não é para este nome de host",
    expired: "o certificado TLS do servidor expirou ou ainda não é válido",
    not_tls: "o servidor não fala TLS nesta porta (a porta TLS padrão é 7778)",
    handshake: "a negociação TLS falhou",
  },
  tlsNeeded: ({ option }) => `${option} só faz sentido com --tls`,
  caFile: ({ file, reason }) => `não foi possível ler o arquivo de CA ${file} (${reason})`,
  insecureWarning:
    "*** --insecure: o certificado do servidor não é verificado; qualquer um poderia ser o servidor.",
  namePrompt: "nome> ",
  connectionLost: ({ address }) => `*** A conexão com ${address} caiu.`,
  reconnecting: ({ address, seconds, attempt }) =>
    `*** Reconectando a ${address} em ${seconds} s (tentativa ${attempt}; Enter numa linha vazia tenta agora)...`,
  reconnected: ({ address }) => `*** Reconectado a ${address}.`,
  linkDead: ({ address, seconds }) => `*** ${address} não responde há ${seconds} s: a conexão morreu.`,
  offlinePrompt: ({ seconds }) => `(sem conexão: nova tentativa em ${seconds} s, Enter: agora) `,
  notSent: ({ text }) => `*** Não enviada: ${text}`,
  maybeNotDelivered: ({ text }) =>
    `*** A conexão caiu antes de o servidor confirmar esta mensagem; ela pode não ter chegado (a seta para cima a traz de volta): ${text}`,
  byeOther: ({ reason, text }) => `*** Desconectado pelo servidor (${reason})${text ? `: ${text}` : "."}`,
  errorOther: ({ code }) => `! O servidor recusou isso (${code}).`,
  quitTimeout: "*** O servidor não respondeu ao /sair; saindo assim mesmo.",
  passwordPrompt: "senha> ",
  // Issue 13 item 1: `papo.mjs`, o cliente num só arquivo servido pelo servidor web.
  standaloneUsage: ({
    version,
  }) => `papo.mjs ${version}: o cliente de terminal do papo num só arquivo (Node >= 20, nada mais)

Uso: node papo.mjs connect [HOST][:PORTA] [--name NOME] [--lang en|pt-BR] [--no-color] [--no-reconnect]
                           [--tls [--ca ARQUIVO | --insecure]]
     node papo.mjs connect --help     as opções em detalhe
     node papo.mjs --version

Para rodar um servidor, instale o próprio papo (npm install -g papo) e use papo serve.
`,
  standaloneOnlyClient: ({ command }) =>
    `papo.mjs: "${command}" não é um comando do cliente: este arquivo só conecta (node papo.mjs connect HOST[:PORTA]). Para rodar um servidor, instale o próprio papo (npm install -g papo). Veja node papo.mjs --help.`,
};
