import type { IrcTexts } from "./irc-types.ts";

export const ircPtBR: IrcTexts = {
  welcome: ({ network, nick }) => `Bem-vindo ao chat ${network}, ${nick}`,
  yourHost: ({ server, version }) => `Seu servidor é ${server}, versão ${version}`,
  created: ({ date }) => `Este servidor foi iniciado em ${date}`,
  isupport: "são suportados por este servidor",
  noMotd: "Não há mensagem do dia",
  endOfList: "Fim da lista /LIST",
  noTopic: "Nenhum tópico definido",
  endOfBanList: "Fim da lista de banimentos",
  noChannelOperators: "O papo não tem operadores nem modos de canal",
  usersDontMatch: "Não é possível mudar o modo de outros usuários",
  unknownModeFlag: "O papo não tem modos de usuário",
  endOfNames: "Fim da lista /NAMES",
  nickAlphabet:
    "Apelido inválido: apelidos IRC têm letras, dígitos e - [ ] ` _ ^ { | }, sem começar por dígito ou -",
  noNicknameGiven: "Nenhum apelido informado",
  nicknameInUse: "Apelido já em uso (ou parecido demais com um em uso)",
  unknownCommand: "Comando desconhecido",
  needMoreParams: "Parâmetros insuficientes",
  notRegistered: "Você ainda não se registrou",
  alreadyRegistered: "Você já está registrado",
  passwordMismatch: "Senha incorreta",
  noSuchNick: "Apelido inexistente",
  noSuchChannel: "Canal inexistente",
  noRecipient: ({ command }) => `Nenhum destinatário informado (${command})`,
  noTextToSend: "Nenhum texto para enviar",
  inputTooLong: "Linha longa demais",
  invalidCapCommand: "Comando CAP inválido",
  quitReason: {
    quit: "Saiu",
    disconnected: "Conexão encerrada",
    kicked: "Removido pelo operador",
    error: "Desconectado",
  },
  serveListening: ({ url }) => `IRC em ${url}`,
  // ---- issue 11, the listeners (IRC on by default, IRC over TLS, the banner, the operator) ----
  serveListeningTls: ({ url }) => `IRC com TLS em ${url}`,
  serveJoinWith: ({ urls }) => `  ou aponte um cliente IRC para ${urls}`,
  serveOff: ({ reason }) =>
    `papo: o IRC está desligado: ${reason}. Escolha a porta com --irc-port, ou use --no-irc.`,
  serveTlsOff: ({ reason }) =>
    `papo: o IRC com TLS está desligado: ${reason}. Escolha a porta com --irc-tls-port, ou use --no-irc.`,
};
